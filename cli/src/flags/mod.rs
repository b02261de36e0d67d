//! Command-line flags in two steps, as ripgrep does: [`LowArgs`] is what was typed
//! (strings, in order, no judgement beyond syntax), [`HiArgs`] is the validated
//! command the rest of the program runs (typed values, required flags present,
//! conflicts refused). Every problem is a usage error (exit 2).

mod hiargs;
mod lowargs;

pub use hiargs::{BodyArg, Command, HeaderArg, HiArgs, InspectArgs, CORPUS_ENV};
pub use lowargs::LowArgs;

/// `misp-guard --help`.
pub const USAGE: &str = "\
misp-guard: judge MISP sync traffic as the misp-guard proxy does

USAGE:
    misp-guard check --config FILE [--json]
    misp-guard inspect --config FILE --method M --path P --src-ip IP
                       --dst-host H --dst-port N [--scheme https|http]
                       [--header 'K: V']... [--response FILE [--response-header 'K: V']...]
                       [--json] [BODY_FILE|-]
    misp-guard conformance [DIR]

COMMANDS:
    check        Load a configuration (either misp-guard format). Silent when it is
                 clean; else on stderr `failed to load config file: FILE:LINE:COL:
                 message (at PATH)` (exit 2), or one line per warning (exit 0):
                 `FILE:LINE:COL: warning: message (at PATH)` for keys no rule reads
                 (ignored, as misp-guard does) and values that can never match (an
                 `ip` that is no address, port 0, a distribution level above 5, an
                 instance no compartment can reach). --json prints one report on
                 stdout: {\"file\",\"ok\",\"errors\":[…],\"warnings\":[…]}, each
                 entry {\"kind\",\"line\",\"column\",\"path\",\"message\"}.
    inspect      Judge one request: request policy, then the request body (BODY_FILE,
                 `-` for stdin, none for an empty body), then the upstream response
                 body given with --response (without it, the request is judged alone).
                 misp-guard's log lines go to stderr; --json prints one decision record
                 on stdout:
                 {\"decision\",\"status\",\"stage\",\"reason\",\"reason_id\",\"message\",
                  \"rule\",\"pointer\",\"logs\"}
    conformance  Run every scenario of the conformance corpus (folders current, legacy,
                 extra) through the same decision path as inspect; prints
                 `FOLDER: N passed, M failed` per folder and a total.
                 DIR defaults to $MISP_GUARD_CONFORMANCE, else ../shared/conformance.

EXIT STATUS:
    0 allow / config loads (with or without warnings) / all scenarios passed
    1 block / some scenario failed
    2 usage, configuration or I/O error
";
