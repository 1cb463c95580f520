// SPDX-License-Identifier: Apache-2.0
// Strong ids of the store's records (STYLE.md §3). Values are opaque strings; the store
// generates them (random 128-bit hex) when a record is created with an empty id.
// Value types; thread-compatible.
#pragma once

#include "common/strong_id.h"

namespace sb::store {

using TenantId = StrongId<struct TenantTag>;
using UserId = StrongId<struct UserTag>;
using QueueId = StrongId<struct QueueTag>;
using SkillId = StrongId<struct SkillTag>;
using TrunkId = StrongId<struct TrunkTag>;
using FlowId = StrongId<struct FlowTag>;
using WrapUpCodeId = StrongId<struct WrapUpCodeTag>;
using CalendarId = StrongId<struct CalendarTag>;
using ApiKeyId = StrongId<struct ApiKeyTag>;
using AppClientId = StrongId<struct AppClientTag>;  // an OAuth client id (a GUID)
using InteractionId = StrongId<struct InteractionTag>;

}  // namespace sb::store
