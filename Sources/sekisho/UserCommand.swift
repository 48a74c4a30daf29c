import ArgumentParser
import Foundation
import Logging
import SekishoServer
import SekishoStore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage user accounts at the console (works while the server runs).",
        subcommands: [
            AddUser.self, ListUsers.self, SetPassword.self, EnableTwoFactor.self, DisableTwoFactor.self, ResetTwoFactor.self, UnlockUser.self,
            DeleteUser.self, SetRole.self, ListAuthenticators.self, RemoveAuthenticator.self,
        ]
    )
}

/// Runs `body` with a console on the configured database; refusals exit 1, configuration 2.
func withConsole(_ options: ConfigOptions, _ body: (Console) async throws -> Void) async throws {
    try await Fatal.exit {
        let configuration = try await options.load()
        let dependencies = try Dependencies.open(configuration)
        try await dependencies.withStoreRunning {
            let console = try await Console(dependencies, logger: Logger(label: "sekisho.console"))
            do {
                try await body(console)
            } catch let refusal as Console.Refusal {
                throw Fatal(refusal.description, exitCode: 1)
            }
        }
    }
}

/// A password from standard input (one line), so it never appears in the process list.
func passwordFromStandardInput() throws -> String {
    guard let password = readLine(strippingNewline: true), !password.isEmpty else {
        throw Fatal("no password on standard input", exitCode: 2)
    }
    return password
}

struct AddUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create a user. The password is read from standard input (one line)."
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The user ID people sign in with.") var username: String
    @Option(help: "Mail address (reset links and notices go there).") var email: String
    @Option(help: "Display name.") var name: String = ""
    @Flag(help: "Make the user an administrator.") var admin = false
    @Flag(name: .customLong("two-factor"), help: "Require an authenticator app at sign-in.") var twoFactor = false

    func run() async throws {
        try await withConsole(options) { console in
            let user = try await console.add(
                username: username,
                displayName: name,
                email: email,
                admin: admin,
                password: try passwordFromStandardInput(),
                twoFactor: twoFactor
            )
            print("created user \(user.username) (id \(user.id), \(user.role.rawValue), two-factor \(user.twoFactorEnabled ? "on" : "off"))")
        }
    }
}

struct ListUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await withConsole(options) { console in
            print("USER ID".padding(toLength: 24, withPad: " ", startingAt: 0) + "ROLE   2FA  APP  LOCKED  MAIL")
            for row in try await console.list() {
                let user = row.user
                print(
                    user.username.padding(toLength: 24, withPad: " ", startingAt: 0)
                        + user.role.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                        + (user.twoFactorEnabled ? "on   " : "off  ") + (row.authenticatorBound ? "yes  " : "no   ")
                        + (row.lockedUntil != nil ? "yes     " : "no      ")
                        + user.email
                )
            }
        }
    }
}

struct SetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Set a user's password (from standard input); their sessions end."
    )
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    func run() async throws {
        try await withConsole(options) {
            try await $0.setPassword(username, to: try passwordFromStandardInput())
            print("password changed")
        }
    }
}

struct EnableTwoFactor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable-2fa", abstract: "Require an authenticator app (needs mail delivery).")
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    func run() async throws {
        try await withConsole(options) {
            try await $0.setTwoFactor(username, enabled: true)
            print("two-factor on")
        }
    }
}

struct DisableTwoFactor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable-2fa", abstract: "Stop requiring an authenticator app.")
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    func run() async throws {
        try await withConsole(options) {
            try await $0.setTwoFactor(username, enabled: false)
            print("two-factor off")
        }
    }
}

struct ResetTwoFactor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-2fa",
        abstract: "Remove the user's authenticator; they enroll again at next sign-in."
    )
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    func run() async throws {
        try await withConsole(options) {
            try await $0.resetBinding(username)
            print("authenticator removed")
        }
    }
}

struct UnlockUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlock", abstract: "Let a user who must wait after failed attempts sign in now.")
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    func run() async throws {
        try await withConsole(options) {
            try await $0.unlock(username)
            print("unlocked")
        }
    }
}

struct DeleteUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a user with their authenticator, codes and sessions.")
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    func run() async throws {
        try await withConsole(options) {
            try await $0.delete(username)
            print("deleted")
        }
    }
}

struct SetRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Make a user an administrator or a plain user.")
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    @Argument(help: "admin or user") var role: String
    func run() async throws {
        guard role == "admin" || role == "user" else { throw ValidationError("role must be admin or user") }
        try await withConsole(options) {
            try await $0.setRole(username, admin: role == "admin")
            print("role set to \(role)")
        }
    }
}

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mail", abstract: "Mail delivery.", subcommands: [MailTest.self])
}

struct MailTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Send a test mail now and print the server's reply.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Recipient address.") var recipient: String
    func run() async throws { try await withConsole(options) { print(try await $0.sendTestMail(to: recipient)) } }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens for scripts.", subcommands: [CreateToken.self])
}

struct CreateToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an API token acting as an administrator; it is printed once."
    )
    @OptionGroup var options: ConfigOptions
    @Option(help: "The administrator the token acts as.") var user: String
    @Option(help: "A name to recognise the token by.") var name: String
    func run() async throws { try await withConsole(options) { print(try await $0.createToken(name: name, for: user)) } }
}

struct ListAuthenticators: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authenticators",
        abstract: "List the user's authenticator apps and passkeys: kind, id, name, added, last used."
    )
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    func run() async throws {
        try await withConsole(options) { console in
            let lines = try await console.authenticators(of: username)
            if lines.isEmpty { print("no authenticators") }
            for line in lines { print(line) }
        }
    }
}

struct RemoveAuthenticator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-authenticator",
        abstract: "Remove one authenticator app or passkey (a lost phone or key); the last one resets two-factor."
    )
    @OptionGroup var options: ConfigOptions
    @Argument var username: String
    @Argument(help: "app or passkey") var kind: String
    @Argument(help: "its id, as `sekisho user authenticators` prints it") var id: String
    func run() async throws {
        try await withConsole(options) { print(try await $0.removeAuthenticator(of: username, kind: kind, id: id)) }
    }
}
