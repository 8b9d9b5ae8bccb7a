// stratum: header-only metrics and statistics engine for perception robustness audits.
// Umbrella header: the core (types, COCO evaluation) and the statistics toolkit. The JSON adapters
// (<stratum/io/...>) are separate because they need simdjson.
#pragma once
