/* SPDX-License-Identifier: MIT */
/*
 * Printable names for the wire enums: reasons, packet types, ACK reasons.
 */
#include <rxd/wire.h>

static const char *const reason_names[RXD_R__MAX] = {
    [RXD_R_OK] = "OK",
    [RXD_R_SHORT_HDR] = "SHORT_HDR",
    [RXD_R_SHORT_ACK] = "SHORT_ACK",
    [RXD_R_SHORT_ACK_TABLE] = "SHORT_ACK_TABLE",
    [RXD_R_SHORT_ABORT] = "SHORT_ABORT",
    [RXD_R_ZERO_CALL] = "ZERO_CALL",
    [RXD_R_ZERO_SEQ] = "ZERO_SEQ",
    [RXD_R_ZERO_SERVICE] = "ZERO_SERVICE",
    [RXD_R_WRONG_DIRECTION] = "WRONG_DIRECTION",
    [RXD_R_IGNORED_TYPE] = "IGNORED_TYPE",
    [RXD_R_UNSUPPORTED_TYPE] = "UNSUPPORTED_TYPE",
    [RXD_R_BAD_JUMBO] = "BAD_JUMBO",
    [RXD_R_SHORT_CHALLENGE] = "SHORT_CHALLENGE",
    [RXD_R_SHORT_RESPONSE] = "SHORT_RESPONSE",
    [RXD_R_SHORT_DEBUG] = "SHORT_DEBUG",
    [RXD_R_NO_CLIENT_CONN] = "NO_CLIENT_CONN",
    [RXD_R_NO_CLIENT_CALL] = "NO_CLIENT_CALL",
    [RXD_R_UNEXPECTED_IMPLICIT_END] = "UNEXPECTED_IMPLICIT_END",
    [RXD_R_OLD_CALL] = "OLD_CALL",
    [RXD_R_FINISHED_CALL] = "FINISHED_CALL",
    [RXD_R_WRONG_SECURITY] = "WRONG_SECURITY",
    [RXD_R_REUPGRADE] = "REUPGRADE",
    [RXD_R_BAD_UPGRADE] = "BAD_UPGRADE",
    [RXD_R_NO_SERVICE] = "NO_SERVICE",
    [RXD_R_NO_SECURITY_CLASS] = "NO_SECURITY_CLASS",
    [RXD_R_BUSY] = "BUSY",
    [RXD_R_NOT_FIRST_PACKET] = "NOT_FIRST_PACKET",
    [RXD_R_ACK_OUT_OF_RANGE] = "ACK_OUT_OF_RANGE",
    [RXD_R_ACK_BAD_WINDOW] = "ACK_BAD_WINDOW",
    [RXD_R_DATA_BEYOND_LAST] = "DATA_BEYOND_LAST",
    [RXD_R_DATA_BEYOND_WINDOW] = "DATA_BEYOND_WINDOW",
    [RXD_R_DUPLICATE] = "DUPLICATE",
    [RXD_R_EARLY_REPLY] = "EARLY_REPLY",
    [RXD_R_CALL_COMPLETE] = "CALL_COMPLETE",
    [RXD_R_NO_MEMORY] = "NO_MEMORY",
    [RXD_R_ADDR_FAMILY] = "ADDR_FAMILY",
    [RXD_R_SECURITY] = "SECURITY",
    [RXD_R_CONN_ABORTED] = "CONN_ABORTED",
};

static const char *const type_names[RXD_PKT__MAX] = {
    [RXD_PKT_DATA] = "DATA",	     [RXD_PKT_ACK] = "ACK",	  [RXD_PKT_BUSY] = "BUSY",
    [RXD_PKT_ABORT] = "ABORT",	     [RXD_PKT_ACKALL] = "ACKALL", [RXD_PKT_CHALLENGE] = "CHALLENGE",
    [RXD_PKT_RESPONSE] = "RESPONSE", [RXD_PKT_DEBUG] = "DEBUG",	  [RXD_PKT_PARAMS] = "PARAMS",
    [RXD_PKT_10] = "TYPE10",	     [RXD_PKT_11] = "TYPE11",	  [RXD_PKT_VERSION] = "VERSION",
};

static const char *const ack_reason_names[RXD_ACK__MAX] = {
    [RXD_ACK_REQUESTED] = "REQUESTED",
    [RXD_ACK_DUPLICATE] = "DUPLICATE",
    [RXD_ACK_OUT_OF_SEQUENCE] = "OUT_OF_SEQUENCE",
    [RXD_ACK_EXCEEDS_WINDOW] = "EXCEEDS_WINDOW",
    [RXD_ACK_NOSPACE] = "NOSPACE",
    [RXD_ACK_PING] = "PING",
    [RXD_ACK_PING_RESPONSE] = "PING_RESPONSE",
    [RXD_ACK_DELAY] = "DELAY",
    [RXD_ACK_IDLE] = "IDLE",
};

static const char *lookup(const char *const *tab, unsigned n, unsigned i)
{
	if (i < n && tab[i])
		return tab[i];
	return "UNKNOWN";
}

const char *rxd_reason_name(enum rxd_reason r)
{
	return lookup(reason_names, RXD_R__MAX, (unsigned)r);
}

const char *rxd_pkt_type_name(unsigned type)
{
	return lookup(type_names, RXD_PKT__MAX, type);
}

const char *rxd_ack_reason_name(unsigned reason)
{
	return lookup(ack_reason_names, RXD_ACK__MAX, reason);
}
