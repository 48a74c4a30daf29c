import SekishoCore
import Synchronization

/// A real Argon2id hasher (with test-sized memory) that counts how often it is asked to verify,
/// so that "an unknown user costs the same work as a wrong password" can be checked exactly.
///
/// Its `gate` can hold verifications of one password in flight, so that a test can send more
/// guesses while earlier ones are still being checked, deterministically.
final class CountingHasher: PasswordHasher {
    private let inner = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 256, iterations: 2, parallelism: 1), maxConcurrent: 4)
    private let counts = Mutex((hashes: 0, verifications: 0))
    let gate = VerificationGate()

    var verifications: Int { counts.withLock { $0.verifications } }
    var hashes: Int { counts.withLock { $0.hashes } }

    func hash(_ password: String) async throws -> String {
        counts.withLock { $0.hashes += 1 }
        return try await inner.hash(password)
    }

    func verify(_ password: String, against encoded: String) async throws -> Bool {
        counts.withLock { $0.verifications += 1 }
        await gate.pass(password)
        return try await inner.verify(password, against: encoded)
    }

    func needsRehash(_ encoded: String) -> Bool { inner.needsRehash(encoded) }
}

/// Holds the verifications of one password until released; every other password passes.
final class VerificationGate: Sendable {
    private let state = Mutex<(held: String?, waiting: [CheckedContinuation<Void, Never>])>((nil, []))

    /// From now on, verifications of `password` wait for ``release()``.
    func hold(_ password: String) {
        state.withLock { $0.held = password }
    }

    /// How many verifications are waiting.
    var waiting: Int { state.withLock { $0.waiting.count } }

    func pass(_ password: String) async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                guard state.held == password else { return true }
                state.waiting.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Lets every waiting verification go on, and holds no more.
    func release() {
        let waiting = state.withLock { state in
            defer { state = (nil, []) }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
