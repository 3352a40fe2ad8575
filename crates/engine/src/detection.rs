//! The rules a run detects with.

use vigie_detect::correlate::Correlator;
use vigie_detect::detector::Detector;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;

use crate::Error;
use crate::config::RuleConfig;

/// The rules a run detects with: the built-in pack and `--sigma`, the
/// detector of their base rules and the correlations over them.
pub struct Detection {
    /// The rules, with those that did not load in `rules.errors` (for the
    /// caller to show; the others run).
    pub rules: RuleSet,
    /// Runs the base rules on each event.
    pub detector: Detector,
    /// Runs the correlations.
    pub correlator: Correlator,
}

impl Detection {
    /// Loads the rules `config` names.
    ///
    /// # Errors
    /// [`Error::Mapping`] when the mapping file does not load; a rule that
    /// does not load is not an error here but an entry of `rules.errors`.
    pub fn load(config: &RuleConfig) -> Result<Detection, Error> {
        let mapping = match &config.mapping {
            Some(path) => Mapping::from_file(path)?,
            None => Mapping::builtin(),
        };
        let mut rules = if config.no_builtin_rules {
            RuleSet::default()
        } else {
            RuleSet::builtin()
        };
        if !config.sigma.is_empty() {
            rules.extend(RuleSet::load(&config.sigma));
        }
        let detector = Detector::new(&rules, mapping.clone());
        let correlator = Correlator::new(&rules, &detector, mapping);
        Ok(Detection {
            rules,
            detector,
            correlator,
        })
    }
}
