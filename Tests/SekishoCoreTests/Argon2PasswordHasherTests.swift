import Foundation
import NIOPosix
import SekishoCore
import Testing

@Suite("Argon2PasswordHasher")
struct Argon2PasswordHasherTests {
    private static let small = Argon2Parameters(memoryKiB: 1024, iterations: 2, parallelism: 1)

    @Test("hash then verify, with a fresh salt each time")
    func roundTrip() async throws {
        let hasher = Argon2PasswordHasher(parameters: Self.small)
        let first = try await hasher.hash("correct horse")
        let second = try await hasher.hash("correct horse")
        #expect(first.hasPrefix("$argon2id$v=19$m=1024,t=2,p=1$"))
        #expect(first != second)
        #expect(try await hasher.verify("correct horse", against: first))
        #expect(try await hasher.verify("correct horse", against: second))
        #expect(try await !hasher.verify("correct horse!", against: first))
        #expect(try await !hasher.verify("Correct horse", against: first))
    }

    @Test("default parameters meet the specification's minimum")
    func defaults() async throws {
        let hasher = Argon2PasswordHasher()
        #expect(hasher.parameters == Argon2Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1))
        let encoded = try await hasher.hash("pa55word")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try await hasher.verify("pa55word", against: encoded))
        #expect(!hasher.needsRehash(encoded))
    }

    @Test("passwords are NFC-normalised before hashing and verifying")
    func nfc() async throws {
        let hasher = Argon2PasswordHasher(parameters: Self.small)
        let decomposed = "caf" + "e\u{301}" + " ﾊﾟｽ"
        let precomposed = "caf" + "\u{E9}" + " ﾊﾟｽ"
        #expect(Array(decomposed.utf8) != Array(precomposed.utf8))
        #expect(try await hasher.verify(precomposed, against: try await hasher.hash(decomposed)))
        #expect(try await hasher.verify(decomposed, against: try await hasher.hash(precomposed)))
        // The stored hash is of the NFC bytes, so a non-normalising verifier would accept only those.
        let encoded = try await hasher.hash("e\u{301}")
        #expect(try Argon2id.verify(password: Array("\u{E9}".utf8), encoded: encoded))
        #expect(try !Argon2id.verify(password: Array("e\u{301}".utf8), encoded: encoded))
        // NFC is canonical only: a compatibility variant (half-width katakana vs full-width) stays distinct.
        #expect(try await !hasher.verify("caf\u{E9} パス", against: try await hasher.hash(precomposed)))
    }

    @Test("needsRehash when any stored cost is below the configured one, or the string is not Argon2id")
    func needsRehash() async throws {
        let configured = Argon2Parameters(memoryKiB: 2048, iterations: 3, parallelism: 2)
        let hasher = Argon2PasswordHasher(parameters: configured)
        let salt = Array("somesaltsomesalt".utf8)
        func stored(_ parameters: Argon2Parameters) throws -> String {
            try Argon2id.hash(password: Array("pw".utf8), salt: salt, parameters: parameters)
        }
        #expect(!hasher.needsRehash(try await hasher.hash("pw")))
        #expect(!hasher.needsRehash(try stored(configured)))
        #expect(!hasher.needsRehash(try stored(Argon2Parameters(memoryKiB: 4096, iterations: 4, parallelism: 2))))
        #expect(hasher.needsRehash(try stored(Argon2Parameters(memoryKiB: 1024, iterations: 3, parallelism: 2))))
        #expect(hasher.needsRehash(try stored(Argon2Parameters(memoryKiB: 2048, iterations: 2, parallelism: 2))))
        #expect(hasher.needsRehash(try stored(Argon2Parameters(memoryKiB: 2048, iterations: 3, parallelism: 1))))
        // Stronger in one dimension does not make up for weaker in another.
        #expect(hasher.needsRehash(try stored(Argon2Parameters(memoryKiB: 65536, iterations: 1, parallelism: 2))))
        #expect(hasher.needsRehash("$argon2i$v=19$m=4096,t=3,p=2$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA"))
        #expect(hasher.needsRehash("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"))
        #expect(hasher.needsRehash(""))
    }

    @Test("malformed stored strings verify as false without throwing", arguments: ["", "garbage", "$argon2id$v=19$m=1024", "$argon2id$$$$"])
    func malformed(encoded: String) async throws {
        let hasher = Argon2PasswordHasher(parameters: Self.small)
        #expect(try await !hasher.verify("password", against: encoded))
        #expect(hasher.inFlightHighWater == 0)
    }

    @Test("8 concurrent verifies with maxConcurrent 2 never run more than 2 at once")
    func boundedConcurrency() async throws {
        // Eight pool threads, so only the hasher's semaphore can hold computations to two.
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        // Hold the first computation until a second is running, so reaching the bound is certain.
        let gate = ArrivalGate(opensAt: 2)
        let hasher = Argon2PasswordHasher(parameters: Self.small, maxConcurrent: 2, threadPool: pool, onWorkStart: gate.arrive)
        let encoded = try Argon2id.hash(password: Array("secret".utf8), salt: Array("somesaltsomesalt".utf8), parameters: Self.small)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask { try await hasher.verify(index.isMultiple(of: 2) ? "secret" : "wrong", against: encoded) }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        try await pool.shutdownGracefully()
        #expect(results.filter { $0 }.count == 4)
        #expect(gate.arrivals == 8)
        #expect(!gate.timedOut)
        #expect(hasher.inFlightHighWater == 2)
        #expect(hasher.inFlight == 0)
    }

    @Test("the in-flight counter sees real overlap: with maxConcurrent 8, all 8 run at once")
    func counterSeesOverlap() async throws {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        let gate = ArrivalGate(opensAt: 8)
        let hasher = Argon2PasswordHasher(parameters: Self.small, maxConcurrent: 8, threadPool: pool, onWorkStart: gate.arrive)
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask { try await hasher.hash("password \(index)") }
            }
            try await group.waitForAll()
        }
        try await pool.shutdownGracefully()
        #expect(!gate.timedOut)
        #expect(hasher.inFlightHighWater == 8)
    }

    @Test("a stopped thread pool is an error, not a hang")
    func inactivePool() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        try await pool.shutdownGracefully()
        let hasher = Argon2PasswordHasher(parameters: Self.small, maxConcurrent: 1, threadPool: pool)
        await #expect(throws: (any Error).self) { try await hasher.hash("password") }
        // The permit came back: a second call fails the same way instead of waiting forever.
        await #expect(throws: (any Error).self) { try await hasher.hash("password") }
    }
}

/// Blocks each arriving thread until `opensAt` threads have arrived in total, then lets everyone through.
///
/// The 10-second limit only turns a broken bound (which would block forever) into a failure.
private final class ArrivalGate: @unchecked Sendable {
    private let condition = NSCondition()
    private let opensAt: Int
    private var arrived = 0
    private var didTimeOut = false

    init(opensAt: Int) {
        self.opensAt = opensAt
    }

    var arrivals: Int { self.condition.withLock { self.arrived } }
    var timedOut: Bool { self.condition.withLock { self.didTimeOut } }

    @Sendable func arrive() {
        self.condition.withLock {
            self.arrived += 1
            self.condition.broadcast()
            let deadline = Date(timeIntervalSinceNow: 10)
            while self.arrived < self.opensAt {
                if !self.condition.wait(until: deadline) {
                    self.didTimeOut = true
                    return
                }
            }
        }
    }
}

extension Argon2PasswordHasherTests {
    /// Hashing threads yield to the event loops: a lower priority for the calling thread only.
    @Test("the hashing thread runs at nice 10, the rest of the process is untouched")
    func hashingThreadRunsInTheBackground() async throws {
        let before = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let hashing = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                Argon2PasswordHasher.runInBackground()
                continuation.resume(returning: getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
            }
        }
        #expect(hashing == max(before, Argon2PasswordHasher.backgroundNice))
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == before)
    }
}
