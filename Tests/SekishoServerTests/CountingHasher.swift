import SekishoCore
import Synchronization

/// A real Argon2id hasher (with test-sized memory) that counts how often it is asked to verify,
/// so that "an unknown user costs the same work as a wrong password" can be checked exactly.
final class CountingHasher: PasswordHasher {
    private let inner = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 256, iterations: 2, parallelism: 1), maxConcurrent: 4)
    private let counts = Mutex((hashes: 0, verifications: 0))

    var verifications: Int { counts.withLock { $0.verifications } }
    var hashes: Int { counts.withLock { $0.hashes } }

    func hash(_ password: String) async throws -> String {
        counts.withLock { $0.hashes += 1 }
        return try await inner.hash(password)
    }

    func verify(_ password: String, against encoded: String) async throws -> Bool {
        counts.withLock { $0.verifications += 1 }
        return try await inner.verify(password, against: encoded)
    }

    func needsRehash(_ encoded: String) -> Bool { inner.needsRehash(encoded) }
}
