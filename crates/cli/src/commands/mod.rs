//! One module per subcommand.

pub mod audit;
pub mod events;
pub mod hunt;
pub mod intel;
pub mod report;
pub mod rules;
pub mod scan;
pub mod watch;
