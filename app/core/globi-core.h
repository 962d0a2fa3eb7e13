/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The client core in one include: what app/ui and app/cli use. */
#include "globi-core-types.h"
#include "globi-core-enums.h"
#include "globi-client.h"
#include "globi-credential-store.h"
#include "globi-demo-seeder.h"
#include "globi-device.h"
#include "globi-profile.h"
#include "globi-session.h"
#include "globi-messaging-types.h"
#include "globi-message.h"
#include "globi-contact.h"
#include "globi-friend-request.h"
#include "globi-group.h"
#include "globi-chat.h"
#include "globi-cache.h"
#include "globi-messenger.h"
