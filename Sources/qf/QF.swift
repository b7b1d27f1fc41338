import ArgumentParser
import Compute

/// The `qf` command: every QuantForge workflow from one executable.
@main
struct QF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qf",
        abstract: "QuantForge: train trading agents, backtest strategies and serve jobs, on CPUs.",
        subcommands: [InfoCommand.self, DemoCommand.self, IngestCommand.self, DataCommand.self, BacktestCommand.self, SweepCommand.self, WalkForwardCommand.self, PortfolioCommand.self, TrainCommand.self, TuneCommand.self, EvaluateCommand.self, MigrateCommand.self, ServeCommand.self, OpenAPICommand.self, WorkerCommand.self, SlurmCommand.self, UserCommand.self, BenchCommand.self]
    )

    /// Parses and runs the command, after stopping OpenBLAS's idle thread pool: one BLAS thread is
    /// every command's default (see `BLAS`), and the pool's spinning threads would take a core from
    /// the first ~0.1 s of every command, which is all of a short sweep. Commands that want more
    /// BLAS threads set them, and OpenBLAS starts its pool again.
    static func main() async {
        BLAS.stopIdleThreads()
        do {
            try GemmKernels.validateEnvironment()
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
