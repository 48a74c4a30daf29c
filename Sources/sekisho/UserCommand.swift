import ArgumentParser
import Foundation
import SekishoServer
import SekishoStore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage user accounts at the console (works while the server runs).",
        subcommands: [AddUser.self]
    )
}

struct AddUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create a user. The password is read from standard input (one line)."
    )

    @OptionGroup var options: ConfigOptions

    @Argument(help: "The user ID people sign in with.")
    var username: String

    @Option(help: "Mail address (reset links and notices go there).")
    var email: String

    @Option(help: "Display name.")
    var name: String = ""

    @Flag(help: "Make the user an administrator.")
    var admin = false

    @Flag(name: .customLong("two-factor"), help: "Require an authenticator app at sign-in.")
    var twoFactor = false

    func run() async throws {
        try await Fatal.exit {
            let configuration = try await options.load()
            let dependencies = try Dependencies.open(configuration)
            try await dependencies.store.migrate()
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw Fatal("no password on standard input", exitCode: 2)
            }
            do {
                let user = try await dependencies.userService.create(
                    username: username,
                    displayName: name,
                    email: email,
                    role: admin ? .admin : .user,
                    password: password,
                    twoFactorEnabled: twoFactor
                )
                print("created user \(user.username) (id \(user.id), \(user.role.rawValue), two-factor \(user.twoFactorEnabled ? "on" : "off"))")
            } catch let refusal as UserService.Refusal {
                throw Fatal("cannot create user: \(refusal.description)", exitCode: 1)
            }
        }
    }
}
