import ArgumentParser

/// The `qf` command: every QuantForge workflow from one executable.
@main
struct QF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qf",
        abstract: "QuantForge: train trading agents, backtest strategies and serve jobs, on CPUs.",
        subcommands: [InfoCommand.self, DemoCommand.self, IngestCommand.self, DataCommand.self, BacktestCommand.self, SweepCommand.self, WalkForwardCommand.self, PortfolioCommand.self, TrainCommand.self, TuneCommand.self, EvaluateCommand.self, MigrateCommand.self, ServeCommand.self, WorkerCommand.self, UserCommand.self, BenchCommand.self]
    )
}
