import Foundation
import Logging
import SekishoStore
import Testing

@testable import SekishoServer

/// The operator's console for authenticators (issue #15): `sekisho user authenticators` lists a
/// user's apps and passkeys with a counter that went back called out, `remove-authenticator`
/// removes one with the same last-one rule as the admin page, and `sekisho passwordless` switches
/// passkey sign-in from the login page.
@Suite struct ConsoleAuthenticatorTests {
    static func addPasskey(_ name: String, credential: UInt8, for user: User, _ environment: TestEnvironment) async throws -> Passkey {
        try await environment.store.addPasskey(
            Passkey(
                userID: user.id,
                credentialID: Data([credential]),
                publicKey: Data([0xA0]),
                algorithm: -7,
                signCount: 0,
                name: name,
                createdAt: environment.clock.now()
            ),
            effects: .none
        )
    }

    @Test func theConsoleListsAndRemovesAUsersAuthenticatorsTheLastOneResetting() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let laptop = try await Self.addPasskey("Laptop", credential: 1, for: alice, environment)
            environment.clock.advance(by: 60)
            let key = try await Self.addPasskey("YubiKey", credential: 2, for: alice, environment)
            try await environment.store.recordPasskeyCounterRegression(id: key.id, at: environment.clock.now(), effects: .none)
            let console = try await Console(environment.dependencies, logger: Logger(label: "test"))

            let lines = try await console.authenticators(of: "ALICE")
            #expect(lines.map(\.name) == ["Laptop", "YubiKey"])
            #expect(lines.map(\.kind) == ["passkey", "passkey"])
            #expect(!lines[0].description.contains("COUNTER"))
            #expect(lines[1].description.contains("COUNTER WENT BACK 1x"))

            await #expect(throws: Console.Refusal.self) { try await console.removeAuthenticator(of: "alice", kind: "app", id: String(laptop.id)) }
            #expect(try await console.removeAuthenticator(of: "alice", kind: "passkey", id: String(laptop.id)) == "authenticator removed")
            let last = try await console.removeAuthenticator(of: "alice", kind: "passkey", id: String(key.id))
            #expect(last.contains("two-factor was reset"))
            #expect(try await console.authenticators(of: "alice").isEmpty)
            let removals = try await environment.store.auditEvents(userID: alice.id, kind: "passkey_removed", limit: 10, offset: 0)
            #expect(removals.count == 2 && removals.allSatisfy { $0.clientAddress == "console" })
        }
    }

    @Test func theConsoleSwitchesPasswordlessSignIn() async throws {
        try await TestEnvironment.with { environment in
            let console = try await Console(environment.dependencies, logger: Logger(label: "test"))
            #expect(try await console.isPasswordlessEnabled())
            try await console.setPasswordless(false)
            #expect(!(try await console.isPasswordlessEnabled()))
            try await console.setPasswordless(true)
            #expect(try await console.isPasswordlessEnabled())
            let changes = try await environment.store.auditEvents(userID: nil, kind: "passwordless_changed", limit: 10, offset: 0)
            #expect(changes.map(\.detail) == ["on", "off"])
            #expect(changes.allSatisfy { $0.clientAddress == "console" && $0.actorUserID == nil })
        }
    }
}
