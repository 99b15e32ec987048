/* A one-entry write-ahead journal: a change to several files (index
 * records, directory pages) is staged as (target, offset, bytes) writes,
 * written to the journal file in one write, then applied in place.  A
 * process that dies while applying leaves the journal, replayed on the next
 * open; replaying is idempotent, so an applied journal may stay.  Only the
 * latest change is kept: every write to a journaled target must go through
 * the journal, or a replay could undo it.  Not thread-safe: the volume's
 * exclusive lock covers it. */
#ifndef RXD_FS_JOURNAL_H
#define RXD_FS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rxd_fs_journal {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	uint32_t nops;
};

/* Maps a target number to an open fd; *owned says the journal closes it. */
typedef int (*rxd_fs_journal_target_fn)(void *arg, uint32_t target, int *owned);

/** pwrite all n bytes (retrying short writes and EINTR): 0 or -errno. */
int rxd_fs_pwrite_all(int fd, const void *buf, size_t n, off_t off);

/** Open (creating) the journal file name in directory dfd: 0 or -errno. */
int rxd_fs_journal_open(int dfd, const char *name, struct rxd_fs_journal *j);
void rxd_fs_journal_close(struct rxd_fs_journal *j);

/** Stage a write: 0 or -ENOMEM. */
int rxd_fs_journal_add(struct rxd_fs_journal *j, uint32_t target, uint64_t off, const void *data, uint32_t len);

/** Forget what is staged. */
void rxd_fs_journal_reset(struct rxd_fs_journal *j);

static inline int rxd_fs_journal_empty(const struct rxd_fs_journal *j)
{
	return j->nops == 0;
}

/** Write the staged change to the journal, then to its targets; with sync,
 * the journal is on stable storage before the targets are touched and the
 * targets are fsync'ed after.  Resets the stage.  0 or -errno. */
int rxd_fs_journal_commit(struct rxd_fs_journal *j, int sync, rxd_fs_journal_target_fn target, void *arg);

/** Apply a complete journal left by a process that died (and fsync it); a
 * torn or empty one is ignored.  0 or -errno. */
int rxd_fs_journal_replay(struct rxd_fs_journal *j, rxd_fs_journal_target_fn target, void *arg);

#endif
