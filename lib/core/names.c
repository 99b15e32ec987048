/* SPDX-License-Identifier: MIT */
/* Name tables for the core's enums. */
#include "internal.h"

const char *rxd_completion_name(enum rxd_completion c)
{
	switch (c) {
	case RXD_CALL_ACTIVE:
		return "ACTIVE";
	case RXD_CALL_SUCCEEDED:
		return "SUCCEEDED";
	case RXD_CALL_REMOTELY_ABORTED:
		return "REMOTELY_ABORTED";
	case RXD_CALL_LOCALLY_ABORTED:
		return "LOCALLY_ABORTED";
	case RXD_CALL_LOCAL_ERROR:
		return "LOCAL_ERROR";
	case RXD_CALL_NETWORK_ERROR:
		return "NETWORK_ERROR";
	}
	return "UNKNOWN";
}

static const char *const state_names[] = {
    [RXD_CS_UNINITIALISED] = "UNINITIALISED",
    [RXD_CS_CLIENT_AWAIT_CONN] = "CLIENT_AWAIT_CONN",
    [RXD_CS_CLIENT_SEND_REQUEST] = "CLIENT_SEND_REQUEST",
    [RXD_CS_CLIENT_AWAIT_REPLY] = "CLIENT_AWAIT_REPLY",
    [RXD_CS_CLIENT_RECV_REPLY] = "CLIENT_RECV_REPLY",
    [RXD_CS_SERVER_PREALLOC] = "SERVER_PREALLOC",
    [RXD_CS_SERVER_RECV_REQUEST] = "SERVER_RECV_REQUEST",
    [RXD_CS_SERVER_ACK_REQUEST] = "SERVER_ACK_REQUEST",
    [RXD_CS_SERVER_SEND_REPLY] = "SERVER_SEND_REPLY",
    [RXD_CS_SERVER_AWAIT_ACK] = "SERVER_AWAIT_ACK",
    [RXD_CS_COMPLETE] = "COMPLETE",
};

const char *rxd_call_state_name(enum rxd_call_state s)
{
	if ((unsigned)s < sizeof(state_names) / sizeof(state_names[0]) && state_names[s])
		return state_names[s];
	return "UNKNOWN";
}
