/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* End-to-end encryption in one include (docs/crypto.md). No I/O anywhere in here. */
#include "globi-attachment-crypto.h"
#include "globi-crypto-error.h"
#include "globi-hkdf.h"
#include "globi-identity.h"
#include "globi-ratchet-session.h"
#include "globi-safety-number.h"
#include "globi-sender-key.h"
