// SPDX-License-Identifier: Apache-2.0
#include "sip/transaction/transaction_layer.h"
