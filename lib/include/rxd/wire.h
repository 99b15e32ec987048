/* SPDX-License-Identifier: MIT */
/*
 * rxd wire codecs: the RxRPC packet formats (Linux net/rxrpc/protocol.h, OpenAFS src/rx/rx.h and rx_packet.h).
 *
 * Pure functions: no state, no allocation.  Every multi-byte field is
 * big-endian on the wire and is encoded/decoded explicitly.
 */
#ifndef RXD_WIRE_H
#define RXD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RXD_WIRE_HDR_LEN 28u
#define RXD_JUMBO_DATALEN 1412u /* payload of a non-terminal jumbo subpacket */
#define RXD_JUMBO_HDRLEN 4u	/* secondary header after each non-terminal subpacket */
#define RXD_JUMBO_SUBPKTLEN (RXD_JUMBO_DATALEN + RXD_JUMBO_HDRLEN)
#define RXD_MAX_JUMBO 46u    /* subpackets per datagram (kernel RXRPC_MAX_NR_JUMBO) */
#define RXD_ACK_BODY_LEN 18u /* ACK body before the SACK table */
#define RXD_ACK_MAX_SACK 255u
#define RXD_ACK_PAD_LEN 3u
#define RXD_ACK_TRAILER_LEN 16u
#define RXD_VERSION_REPLY_LEN 65u
#define RXD_CID_CHANNEL_MASK 3u
#define RXD_MAXCALLS 4u
#define RXD_CID_INC 4u

/* Packet types (header byte 20). */
enum rxd_pkt_type {
	RXD_PKT_DATA = 1,
	RXD_PKT_ACK = 2,
	RXD_PKT_BUSY = 3,
	RXD_PKT_ABORT = 4,
	RXD_PKT_ACKALL = 5,
	RXD_PKT_CHALLENGE = 6,
	RXD_PKT_RESPONSE = 7,
	RXD_PKT_DEBUG = 8,
	RXD_PKT_PARAMS = 9,
	RXD_PKT_10 = 10,
	RXD_PKT_11 = 11,
	RXD_PKT_VERSION = 13,
	RXD_PKT__MAX = 14,
};

/* Header flags (byte 21). */
#define RXD_F_CLIENT_INITIATED 0x01u
#define RXD_F_REQUEST_ACK 0x02u
#define RXD_F_LAST_PACKET 0x04u
#define RXD_F_MORE_PACKETS 0x08u
#define RXD_F_JUMBO_PACKET 0x20u  /* on DATA */
#define RXD_F_SLOW_START_OK 0x20u /* on ACK */

/* userStatus values with protocol meaning. */
#define RXD_USERSTATUS_SERVICE_UPGRADE 0x01u

/* ACK reasons (ACK body byte 16). */
enum rxd_ack_reason {
	RXD_ACK_REQUESTED = 1,
	RXD_ACK_DUPLICATE = 2,
	RXD_ACK_OUT_OF_SEQUENCE = 3,
	RXD_ACK_EXCEEDS_WINDOW = 4,
	RXD_ACK_NOSPACE = 5,
	RXD_ACK_PING = 6,
	RXD_ACK_PING_RESPONSE = 7,
	RXD_ACK_DELAY = 8,
	RXD_ACK_IDLE = 9,
	RXD_ACK__MAX = 10,
};
#define RXD_ACK_TYPE_NACK 0u
#define RXD_ACK_TYPE_ACK 1u

/* Standard abort codes (OpenAFS src/rx/rx.h RX_* codes, Linux include/uapi/linux/rxrpc.h). */
#define RX_CALL_DEAD (-1)
#define RX_INVALID_OPERATION (-2)
#define RX_CALL_TIMEOUT (-3)
#define RX_EOF (-4)
#define RX_PROTOCOL_ERROR (-5)
#define RX_USER_ABORT (-6)
#define RX_ADDRINUSE (-7)
#define RX_DEBUGI_BADTYPE (-8)
#define RX_RESTARTING (-100)
#define RXGEN_CC_MARSHAL (-450)
#define RXGEN_CC_UNMARSHAL (-451)
#define RXGEN_SS_MARSHAL (-452)
#define RXGEN_SS_UNMARSHAL (-453)
#define RXGEN_DECODE (-454)
#define RXGEN_OPCODE (-455)
#define RXGEN_SS_XDRFREE (-456)
#define RXGEN_CC_XDRFREE (-457)
#define RXKADINCONSISTENCY 19270400
#define RXKADPACKETSHORT 19270401
#define RXKADLEVELFAIL 19270402
#define RXKADTICKETLEN 19270403
#define RXKADOUTOFSEQUENCE 19270404
#define RXKADNOAUTH 19270405
#define RXKADBADKEY 19270406
#define RXKADBADTICKET 19270407
#define RXKADUNKNOWNKEY 19270408
#define RXKADEXPIRED 19270409
#define RXKADSEALEDINCON 19270410
#define RXKADDATALEN 19270411
#define RXKADILLEGALLEVEL 19270412

/* Security indices. */
#define RXD_SECURITY_NONE 0u
#define RXD_SECURITY_RXKAD 2u
#define RXD_SECURITY_RXGK 4u
#define RXD_SECURITY_YFS_RXGK 6u

/*
 * Why a packet was discarded or rejected by the wire validator or the core.
 * Data, not log strings: counted per reason, printable by rxd_reason_name().
 */
enum rxd_reason {
	RXD_R_OK = 0,
	/* wire validation (the input rules of Linux net/rxrpc/io_thread.c) */
	RXD_R_SHORT_HDR,	/* shorter than 28 bytes: discard */
	RXD_R_SHORT_ACK,	/* ACK body shorter than 18 bytes: discard */
	RXD_R_SHORT_ACK_TABLE,	/* nAcks entries not all present: abort */
	RXD_R_SHORT_ABORT,	/* ABORT without its 4-byte code: discard */
	RXD_R_ZERO_CALL,	/* DATA/ACK/ACKALL/BUSY with callNumber 0: abort */
	RXD_R_ZERO_SEQ,		/* DATA with seq 0: abort */
	RXD_R_ZERO_SERVICE,	/* serviceId 0: abort */
	RXD_R_WRONG_DIRECTION,	/* VERSION/CHALLENGE/RESPONSE/BUSY the wrong way: discard */
	RXD_R_IGNORED_TYPE,	/* types 9-11: discard */
	RXD_R_UNSUPPORTED_TYPE, /* unknown type: abort */
	RXD_R_BAD_JUMBO,	/* jumbo subpacket malformed / LAST on non-terminal: abort */
	RXD_R_SHORT_CHALLENGE,	/* CHALLENGE body too short: discard */
	RXD_R_SHORT_RESPONSE,	/* RESPONSE body too short: discard */
	RXD_R_SHORT_DEBUG,	/* DEBUG request body too short: discard */
	/* core routing and state */
	RXD_R_NO_CLIENT_CONN,	       /* packet to a client conn we do not have: abort */
	RXD_R_NO_CLIENT_CALL,	       /* packet to a client call we do not have: abort */
	RXD_R_UNEXPECTED_IMPLICIT_END, /* client saw a higher callNumber: abort */
	RXD_R_OLD_CALL,		       /* callNumber below the channel's last call: discard */
	RXD_R_FINISHED_CALL,	       /* packet for the channel's finished call: discard */
	RXD_R_WRONG_SECURITY,	       /* securityIndex differs from the conn's: abort RXKADINCONSISTENCY */
	RXD_R_REUPGRADE,	       /* serviceId changed without an upgrade probe: abort */
	RXD_R_BAD_UPGRADE,	       /* serviceId changed to an unexpected id: abort */
	RXD_R_NO_SERVICE,	       /* service not offered: abort RX_INVALID_OPERATION */
	RXD_R_NO_SECURITY_CLASS,       /* security index not supported: abort RX_INVALID_OPERATION */
	RXD_R_BUSY,		       /* no call slot / backlog full: BUSY */
	RXD_R_NOT_FIRST_PACKET,	       /* new call from non-DATA or an unknown channel: discard */
	RXD_R_ACK_OUT_OF_RANGE,	       /* ACK window regressed / beyond tx: discard */
	RXD_R_ACK_BAD_WINDOW,	       /* ACK hard-acks beyond what was sent: abort */
	RXD_R_DATA_BEYOND_LAST,	       /* DATA after/with different LAST: abort */
	RXD_R_DATA_BEYOND_WINDOW,      /* DATA far beyond the rx window: discard (ACK EXCEEDS_WINDOW) */
	RXD_R_DUPLICATE,	       /* duplicate DATA: discard (ACK DUPLICATE) */
	RXD_R_EARLY_REPLY,	       /* reply before the request was fully sent: abort */
	RXD_R_CALL_COMPLETE,	       /* packet for a call already complete: discard */
	RXD_R_NO_MEMORY,	       /* pool exhausted: discard */
	RXD_R_ADDR_FAMILY,	       /* address family mismatch: discard */
	RXD_R_SECURITY,		       /* security class verification failed */
	RXD_R_CONN_ABORTED,	       /* connection is aborted: discard */
	RXD_R__MAX,
};

/* What the caller must do with a packet the validator looked at. */
enum rxd_verdict {
	RXD_V_ACCEPT = 0,
	RXD_V_DISCARD = 1, /* drop silently (count the reason) */
	RXD_V_ABORT = 2,   /* reply with an ABORT (abort_code) and drop */
};

/** Name of a reason, for printing counters. Never NULL. */
const char *rxd_reason_name(enum rxd_reason r);
/** Name of a packet type ("DATA", "ACK", ... "UNKNOWN"). Never NULL. */
const char *rxd_pkt_type_name(unsigned type);
/** Name of an ACK reason ("REQUESTED", ... "UNKNOWN"). Never NULL. */
const char *rxd_ack_reason_name(unsigned reason);

/* The 28-byte header in host byte order. */
struct rxd_hdr {
	uint32_t epoch;
	uint32_t cid;
	uint32_t call_number; /* callNumber */
	uint32_t seq;
	uint32_t serial;
	uint8_t type;
	uint8_t flags;
	uint8_t user_status;
	uint8_t security_index;
	uint16_t cksum; /* "spare": rxkad header checksum / rxgk key number */
	uint16_t service_id;
};

/** Write the 28-byte header to p. */
void rxd_hdr_encode(uint8_t *p, const struct rxd_hdr *h);
/** Read the 28-byte header from p (caller checked the length). */
void rxd_hdr_decode(const uint8_t *p, struct rxd_hdr *h);

/* Big-endian helpers (inline: used on every packet). */
static inline void rxd_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline uint32_t rxd_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void rxd_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline uint16_t rxd_get_be16(const uint8_t *p)
{
	return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

/*
 * A validated, decoded packet.  Body pointers point into the caller's buffer.
 * For DATA the subpackets of a jumbogram are split out (each with its own
 * seq, serial, flags and cksum, as the jumbo rules say).
 */
struct rxd_subpkt {
	const uint8_t *data;
	uint32_t len;
	uint32_t seq;
	uint32_t serial;
	uint8_t flags;
	uint16_t cksum;
};

struct rxd_ack_info {
	uint16_t buffer_space;
	uint16_t max_skew;
	uint32_t first_packet;	  /* every seq below is hard-ACKed */
	uint32_t previous_packet; /* highest seq seen */
	uint32_t serial;	  /* serial that prompted the ACK */
	uint8_t reason;
	uint8_t nacks;
	const uint8_t *acks; /* nacks bytes, RXD_ACK_TYPE_ACK / _NACK */
	uint8_t trailer_len; /* 0, 8, 12 or 16 bytes present */
	uint32_t max_mtu;    /* trailer fields; 0 when absent */
	uint32_t if_mtu;
	uint32_t rwind;
	uint32_t jumbo_max;
};

struct rxd_pkt {
	struct rxd_hdr hdr;
	const uint8_t *body; /* after the 28-byte header */
	uint32_t body_len;
	union {
		struct {
			unsigned nsub;
			struct rxd_subpkt sub[RXD_MAX_JUMBO];
		} data;
		struct rxd_ack_info ack;
		int32_t abort_code;
		struct {
			int32_t type;
			int32_t index;
		} debug;
	} u;
};

/*
 * Validate and decode one received datagram (payload of UDP).
 * we_are_server_side is not needed: direction comes from CLIENT_INITIATED.
 * Returns the verdict; *why names the reason, *abort_code the code to send
 * when the verdict is RXD_V_ABORT.
 * jumbo_max bounds how many subpackets are accepted (0 = RXD_MAX_JUMBO).
 */
enum rxd_verdict rxd_pkt_parse(const uint8_t *buf, size_t len, unsigned jumbo_max, struct rxd_pkt *out,
			       enum rxd_reason *why, int32_t *abort_code);

/* True if the packet came from the client side of its connection. */
static inline bool rxd_hdr_from_client(const struct rxd_hdr *h)
{
	return (h->flags & RXD_F_CLIENT_INITIATED) != 0;
}

/* ---- encoders (each returns bytes written, or 0 if cap is too small) ---- */

/** Encode the ACK body (after the header): fields, nacks table, 3 pad bytes, trailer. */
size_t rxd_ack_encode(uint8_t *p, size_t cap, const struct rxd_ack_info *a);
/** Length of an ACK body with n SACK entries and a 16-byte trailer. */
static inline size_t rxd_ack_body_len(unsigned nacks)
{
	return RXD_ACK_BODY_LEN + nacks + RXD_ACK_PAD_LEN + RXD_ACK_TRAILER_LEN;
}
/** Encode an ABORT body (4-byte signed code). */
size_t rxd_abort_encode(uint8_t *p, size_t cap, int32_t code);
/** Encode the 4-byte jumbo secondary header that follows a non-terminal subpacket. */
void rxd_jumbo_hdr_encode(uint8_t *p, uint8_t flags, uint16_t cksum);
/** Encode a VERSION reply body: the string NUL-padded to 65 bytes. */
size_t rxd_version_encode(uint8_t *p, size_t cap, const char *version);

/* rxkad CHALLENGE / RESPONSE bodies (the security class owns their meaning). */
struct rxd_challenge {
	uint32_t version; /* 2 for the v2 form; 0 for the old {nonce, level} form */
	uint32_t nonce;
	uint32_t min_level;
};
size_t rxd_challenge_encode(uint8_t *p, size_t cap, const struct rxd_challenge *c);
int rxd_challenge_decode(const uint8_t *p, size_t len, struct rxd_challenge *c);

struct rxd_response {
	uint32_t version;      /* 2 */
	uint8_t encrypted[40]; /* {epoch, cid, cksum, securityIndex, callNumber[4], nonce+1, level} sealed */
	uint32_t kvno;
	uint32_t ticket_len;
	const uint8_t *ticket;
};
size_t rxd_response_encode(uint8_t *p, size_t cap, const struct rxd_response *r);
int rxd_response_decode(const uint8_t *p, size_t len, struct rxd_response *r);

/* OpenAFS DEBUG (type 8) bodies (OpenAFS src/rx/rx_packet.c rxi_ReceiveDebugPacket, src/rx/rx_debug.h). */
enum rxd_debug_type {
	RXD_DEBUG_GETSTATS = 1,
	RXD_DEBUG_GETCONN = 2,
	RXD_DEBUG_GETALLCONN = 3,
	RXD_DEBUG_RXSTATS = 4,
	RXD_DEBUG_GETPEER = 5,
};
#define RXD_DEBUG_VERSION 'S'
#define RXD_DEBUG_STATS_LEN 56u
#define RXD_DEBUG_RXSTATS_LEN 284u
#define RXD_DEBUG_CONN_LEN 176u
#define RXD_DEBUG_PEER_LEN 132u

struct rxd_debug_stats {
	int32_t n_free_packets;
	int32_t packet_reclaims;
	int32_t calls_executed;
	uint8_t waiting_for_packets;
	uint8_t used_fds;
	uint8_t version;
	int32_t n_waiting;
	int32_t idle_threads;
	int32_t n_waited;
	int32_t n_packets;
};
size_t rxd_debug_stats_encode(uint8_t *p, size_t cap, const struct rxd_debug_stats *s);

/*
 * An RXSTATS reply: OpenAFS struct rx_statistics (rx/rx.h), 71 int32 words,
 * each sent big-endian. The words are named by the enum after OpenAFS's
 * fields; the caller fills those it can count and leaves the rest 0.
 */
enum rxd_rxstats_word {
	RXD_RXS_PACKET_REQUESTS = 0,
	RXD_RXS_BOGUS_PACKET_ON_READ = 5,
	RXD_RXS_PACKETS_READ = 11, /* 13 words: packet types 1..13 */
	RXD_RXS_DATA_PACKETS_READ = 24,
	RXD_RXS_ACK_PACKETS_READ = 25,
	RXD_RXS_DUP_PACKETS_READ = 26,
	RXD_RXS_SPURIOUS_PACKETS_READ = 27,
	RXD_RXS_PACKETS_SENT = 28, /* 13 words: packet types 1..13 */
	RXD_RXS_ACK_PACKETS_SENT = 41,
	RXD_RXS_PING_PACKETS_SENT = 42,
	RXD_RXS_ABORT_PACKETS_SENT = 43,
	RXD_RXS_BUSY_PACKETS_SENT = 44,
	RXD_RXS_DATA_PACKETS_SENT = 45, /* not counting retransmissions */
	RXD_RXS_DATA_PACKETS_RESENT = 46,
	RXD_RXS_DATA_PACKETS_PUSHED = 47,
	RXD_RXS_IGNORE_ACKED_PACKET = 48,
	RXD_RXS_TOTAL_RTT = 49, /* struct clock: sec, usec */
	RXD_RXS_MIN_RTT = 51,
	RXD_RXS_MAX_RTT = 53,
	RXD_RXS_N_RTT_SAMPLES = 55,
	RXD_RXS_N_SERVER_CONNS = 56,
	RXD_RXS_N_CLIENT_CONNS = 57,
	RXD_RXS_N_PEER_STRUCTS = 58,
	RXD_RXS_N_CALL_STRUCTS = 59,
	RXD_RXS_N_FREE_CALL_STRUCTS = 60,
	RXD_RXS_NET_SEND_FAILURES = 61,
	RXD_RXS_FATAL_ERRORS = 62,
	RXD_RXS_IGNORE_PACKET_DALLY = 63,
	RXD_RXS_N_BUSIES = 66,
	RXD_RXS__WORDS = 71,
};
#define RXD_RXS_N_TYPES 13u
struct rxd_debug_rxstats {
	uint32_t w[RXD_RXS__WORDS];
};
size_t rxd_debug_rxstats_encode(uint8_t *p, size_t cap, const struct rxd_debug_rxstats *s);

/* OpenAFS call states and modes as rxdebug prints them (rx/rx.h RX_STATE_*, RX_MODE_*). */
enum rxd_debug_call_state {
	RXD_DEBUG_STATE_NOTINIT = 0,
	RXD_DEBUG_STATE_PRECALL = 1,
	RXD_DEBUG_STATE_ACTIVE = 2,
	RXD_DEBUG_STATE_DALLY = 3,
	RXD_DEBUG_STATE_HOLD = 4,
};
enum rxd_debug_call_mode {
	RXD_DEBUG_MODE_NONE = 0,
	RXD_DEBUG_MODE_SENDING = 1,
	RXD_DEBUG_MODE_RECEIVING = 2,
	RXD_DEBUG_MODE_ERROR = 3,
	RXD_DEBUG_MODE_EOF = 4,
};
#define RXD_DEBUG_OTHER_IN 1  /* packets waiting in the receive queue */
#define RXD_DEBUG_OTHER_OUT 2 /* packets waiting in the transmit queue */
#define RXD_DEBUG_CONN_CLIENT 0
#define RXD_DEBUG_CONN_SERVER 1
/* The index was past the last record: cid (GETCONN) or host (GETPEER) carries this. */
#define RXD_DEBUG_END 0xffffffffu

/*
 * One GETCONN/GETALLCONN reply: OpenAFS struct rx_debugConn (rx/rx.h), 176
 * bytes. host and port are the peer's, in network order as OpenAFS copies
 * them; the per-channel arrays are indexed by channel. secStats words stay 0.
 */
struct rxd_debug_conn {
	uint8_t host[4];
	uint16_t port;
	uint32_t cid;
	uint32_t serial;
	uint32_t call_number[4];
	int32_t error;
	uint8_t flags;
	uint8_t type;
	uint8_t security_index;
	uint8_t call_state[4];
	uint8_t call_mode[4];
	uint8_t call_flags[4];
	uint8_t call_other[4];
	uint32_t epoch;
	uint32_t nat_mtu;
};
size_t rxd_debug_conn_encode(uint8_t *p, size_t cap, const struct rxd_debug_conn *c);
int rxd_debug_conn_decode(const uint8_t *p, size_t len, struct rxd_debug_conn *c);

/* One GETPEER reply: OpenAFS struct rx_debugPeer (rx/rx.h), 132 bytes. */
struct rxd_debug_peer {
	uint8_t host[4];
	uint16_t port;
	uint16_t if_mtu;
	uint32_t idle_when;
	uint16_t ref_count;
	int32_t rtt;	 /* smoothed RTT, microseconds << 3 (what OpenAFS 1.8 sends) */
	int32_t rtt_dev; /* microseconds << 2 */
	uint32_t n_sent;
	uint32_t resends;
	uint16_t nat_mtu;
	uint16_t max_mtu;
	uint16_t max_dgram_packets;
	uint16_t if_dgram_packets;
	uint16_t mtu;
	uint16_t cwind;
	uint16_t n_dgram_packets;
	uint16_t congest_seq;
	uint64_t bytes_sent;
	uint64_t bytes_received;
};
size_t rxd_debug_peer_encode(uint8_t *p, size_t cap, const struct rxd_debug_peer *pe);
int rxd_debug_peer_decode(const uint8_t *p, size_t len, struct rxd_debug_peer *pe);

#ifdef __cplusplus
}
#endif
#endif
