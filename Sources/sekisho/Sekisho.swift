import ArgumentParser

@main
struct Sekisho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sekisho",
        abstract: "A self-hosted two-factor login server.",
        subcommands: [
            ServeCommand.self, UserCommand.self, MailCommand.self, TokenCommand.self, CheckClockCommand.self,
            MigrateToPostgresCommand.self, OIDCCommand.self, PasswordlessCommand.self,
        ]
    )
}
