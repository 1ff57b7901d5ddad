//! One module per subcommand, each holding its options and its `run`.
pub mod backtest;
pub mod capture;
pub mod chart;
pub mod export;
pub mod generate;
pub mod migrate;
pub mod recommend;
pub mod report;
pub mod run;
pub mod status;
pub mod verify;
