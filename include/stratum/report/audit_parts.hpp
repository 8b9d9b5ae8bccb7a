// What an audit report holds besides the audit result itself, each part optional: the findings, the
// production-mix estimates and the curves of each operating point (in r.points' order), and the image
// bootstrap. report::audit_json and report::print_audit take it.
#pragma once

#include <vector>

#include "../audit/bootstrap.hpp"
#include "../audit/calibration.hpp"
#include "../audit/curves.hpp"
#include "../audit/errors.hpp"
#include "../audit/findings.hpp"
#include "../audit/production.hpp"

namespace stratum::report {

struct audit_parts {
  const std::vector<audit::findings>* findings = nullptr;                // audit::find, per operating point
  const std::vector<audit::production_estimates>* production = nullptr;  // audit::estimate_production
  const audit::audit_bootstrap* bootstrap = nullptr;                     // audit::bootstrap
  const std::vector<audit::operating_curves>* curves = nullptr;          // audit::curves, per operating point
  const std::vector<audit::operating_errors>* errors = nullptr;          // audit::errors, per operating point
  const std::vector<audit::operating_calibration>* calibration = nullptr;  // audit::calibrate, per point
};

}  // namespace stratum::report
