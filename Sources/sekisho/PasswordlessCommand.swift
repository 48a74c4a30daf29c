import ArgumentParser
import SekishoServer

struct PasswordlessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwordless",
        abstract: "Show, or turn on or off, sign-in with a passkey alone from the login page."
    )
    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on
        case off
    }
    @OptionGroup var options: ConfigOptions
    @Argument(help: "on or off; without it, the current state.") var state: Switch?
    func run() async throws {
        try await withConsole(options) { console in
            if let state { try await console.setPasswordless(state == .on) }
            print("passwordless sign-in is \(try await console.isPasswordlessEnabled() ? "on" : "off")")
        }
    }
}
