import ArgumentParser

/// `qf demo`: walk-throughs. `qf demo flow` (the default) drives a running service over HTTP and
/// WebSocket through everything a user does; `qf demo sine` exercises the Compute core alone.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Walk through QuantForge end to end.",
                                                    subcommands: [DemoFlowCommand.self, SineDemoCommand.self], defaultSubcommand: DemoFlowCommand.self)
}
