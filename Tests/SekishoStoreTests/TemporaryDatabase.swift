import Foundation
import PostgresTesting
import SekishoCore
import SekishoStore
import Synchronization
import TestSupport
import Testing

/// The two implementations of `Store`; the contract tests run against both.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// One empty database of either kind. Each `open()` is a separate store object with its own
/// connections, like a second Sekisho process on the same data.
final class TemporaryDatabase: Sendable {
    let kind: StoreKind
    /// The SQLite file's folder.
    let directory: ScratchDirectory
    /// The PostgreSQL URL (with password), for `.postgres`.
    let url: String?
    private let runs = Mutex<[Task<Void, Never>]>([])

    var path: String { directory.path("test.sqlite") }

    init(_ kind: StoreKind = .sqlite) async throws {
        self.kind = kind
        directory = try ScratchDirectory("store")
        switch kind {
        case .sqlite:
            url = nil
        case .postgres:
            url = try await PostgresTestServer.shared.makeDatabaseURL()
        }
    }

    /// A new, migrated store on this database.
    func open() async throws -> any Store {
        switch kind {
        case .sqlite: try await openSQLite()
        case .postgres: try await openPostgres()
        }
    }

    func openSQLite() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        return store
    }

    /// A migrated PostgreSQL store whose pool runs until `close()`.
    func openPostgres(poolSize: Int = 8) async throws -> PostgresStore {
        let store = try PostgresStore(url: try #require(url), poolSize: poolSize)
        let run = Task { await store.run() }
        runs.withLock { $0.append(run) }
        try await store.migrate()
        return store
    }

    /// Stops the pools (their connections close) and removes the SQLite folder. PostgreSQL test
    /// databases go with the server's folder at the end of the process.
    func close() async {
        let tasks = runs.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in tasks {
            task.cancel()
            await task.value
        }
        directory.remove()
    }
}

/// Runs `body` with a fresh database of `kind` and closes it afterwards, whatever happens.
func withDatabase<T>(_ kind: StoreKind, _ body: (TemporaryDatabase) async throws -> T) async throws -> T {
    try await withCleanup(try await TemporaryDatabase(kind), cleanup: { await $0.close() }, body)
}

let epoch = Date(timeIntervalSince1970: 1_800_000_000)

func makeUser(_ store: any Store, _ name: String = "alice", role: User.Role = .user) async throws -> User {
    try await store.createUser(
        NewUser(
            username: name,
            displayName: name.capitalized,
            email: "\(name)@example.com",
            role: role,
            passwordHash: "$argon2id$x",
            twoFactorEnabled: true
        ),
        at: epoch,
        effects: .none
    )
}

/// A pending enrollment of `userID`, shown in session `sessionIDHash`, valid for 5 minutes from `epoch`.
func pendingEnrollment(
    _ id: String = UUID().uuidString,
    userID: Int64,
    sessionIDHash: String = "s",
    secret: [UInt8] = [1, 2, 3]
) -> PendingEnrollment {
    PendingEnrollment(
        id: id,
        userID: userID,
        sessionIDHash: sessionIDHash,
        sealedSecret: Data(secret),
        algorithm: "SHA1",
        digits: 6,
        period: 30,
        createdAt: epoch,
        expiresAt: epoch.addingTimeInterval(300)
    )
}

func makeBinding(_ store: any Store, userID: Int64, lastStep: Int64, codes: [String] = []) async throws {
    let enrollment = pendingEnrollment(userID: userID)
    try await store.savePendingEnrollment(enrollment)
    let binding = TOTPBinding(
        id: String(userID),
        userID: userID,
        sealedSecret: Data([4, 5, 6]),
        algorithm: "SHA1",
        digits: 6,
        period: 30,
        lastStep: lastStep,
        confirmedAt: epoch
    )
    _ = try await store.confirmEnrollment(enrollmentID: enrollment.id, binding: binding, recoveryCodeHashes: codes, effects: .none)
}

func makeSession(_ store: any Store, _ idHash: String, userID: Int64, expiresAt: Date = epoch.addingTimeInterval(60)) async throws {
    try await store.createSession(
        SessionRecord(
            idHash: idHash,
            userID: userID,
            state: .signedIn,
            createdAt: epoch,
            lastSeenAt: epoch,
            expiresAt: expiresAt,
            authenticatedAt: epoch,
            clientAddress: "127.0.0.1"
        ),
        replacing: nil,
        effects: .none
    )
}

/// Charges one guess to `account` and `address` (5 free per account, 20 per address, 30 s
/// doubling to 900 s, unless the policies say otherwise).
@discardableResult
func charge(
    _ store: any Store,
    account: String = "alice",
    address: String = "10.0.0.1",
    at time: Date = epoch,
    accountPolicy: LockoutPolicy = LockoutPolicy(),
    addressPolicy: LockoutPolicy = LockoutPolicy(freeFailures: 20)
) async throws -> AttemptCharge? {
    try await store.chargeAttempt(account: account, address: address, at: time, accountPolicy: accountPolicy, addressPolicy: addressPolicy)
}
