import Foundation
import SekishoStore

/// A fresh SQLite file in its own temporary directory, removed when the test ends.
struct TemporaryDatabase {
    let directory: URL
    var path: String { directory.appendingPathComponent("test.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func open() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        return store
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

let epoch = Date(timeIntervalSince1970: 1_800_000_000)

func makeUser(_ store: SQLiteStore, _ name: String = "alice") async throws -> User {
    try await store.createUser(
        NewUser(
            username: name,
            displayName: name.capitalized,
            email: "\(name)@example.com",
            role: .user,
            passwordHash: "$argon2id$x",
            twoFactorEnabled: true
        ),
        at: epoch,
        effects: .none
    )
}

func makeBinding(_ store: SQLiteStore, userID: Int64, lastStep: Int64, codes: [String] = []) async throws {
    let enrollment = PendingEnrollment(
        id: UUID().uuidString,
        userID: userID,
        sessionIDHash: "s",
        sealedSecret: Data([1, 2, 3]),
        algorithm: "SHA1",
        digits: 6,
        period: 30,
        createdAt: epoch,
        expiresAt: epoch.addingTimeInterval(300)
    )
    try await store.savePendingEnrollment(enrollment)
    let binding = TOTPBinding(
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
