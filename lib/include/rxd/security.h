/* SPDX-License-Identifier: MIT */
/* Security classes shipped with rxd (see struct rxd_security_class in core.h). */
#ifndef RXD_SECURITY_H
#define RXD_SECURITY_H

#include <rxd/core.h>

/** rxnull, index 0: always available. */
extern const struct rxd_security_class rxd_rxnull_class;

#endif
