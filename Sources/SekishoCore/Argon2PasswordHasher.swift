import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Argon2id password hashing that never blocks an event loop and never runs more than a fixed number
/// of hashes at once.
///
/// Each hash or verify takes a permit from an ``AsyncSemaphore`` (waiters are served in arrival order),
/// then runs on `threadPool`. Bounding the number in flight caps the memory in use at
/// `maxConcurrent × memoryKiB` and keeps a burst of logins from starving other work of CPU.
///
/// The default pool is the hasher's own, whose threads run at a lower scheduling priority (nice
/// ``backgroundNice``): with every core hashing, a forward-auth check or a page still gets a core
/// at once, while hashing keeps all the CPU nobody else wants (measured in bench/: forward auth
/// p99 during a sign-in storm).
public final class Argon2PasswordHasher: PasswordHasher {
    /// Parameters used for new hashes and as the bar for ``needsRehash(_:)``.
    public let parameters: Argon2Parameters
    /// The most hashes or verifies allowed to run at once.
    public let maxConcurrent: Int

    private let threadPool: NIOThreadPool
    private let semaphore: AsyncSemaphore
    private let counters = Mutex(Counters())
    private let onWorkStart: (@Sendable () -> Void)?

    private struct Counters {
        var inFlight = 0
        var highWater = 0
    }

    /// Creates a hasher.
    ///
    /// - Parameters:
    ///   - parameters: Cost of new hashes; stored hashes weaker than this report ``needsRehash(_:)``.
    ///   - maxConcurrent: How many Argon2 computations may run at once (at least 1).
    ///   - threadPool: Where the blocking computations run.
    public convenience init(
        parameters: Argon2Parameters = .default,
        maxConcurrent: Int = System.coreCount,
        threadPool: NIOThreadPool = Argon2PasswordHasher.backgroundPool
    ) {
        self.init(parameters: parameters, maxConcurrent: maxConcurrent, threadPool: threadPool, onWorkStart: nil)
    }

    /// Creates a hasher that calls `onWorkStart` on the pool thread as each computation starts, after
    /// the in-flight counter has been raised; tests use it to hold computations open.
    package init(
        parameters: Argon2Parameters,
        maxConcurrent: Int,
        threadPool: NIOThreadPool,
        onWorkStart: (@Sendable () -> Void)?
    ) {
        precondition(maxConcurrent >= 1, "maxConcurrent must be at least 1")
        self.parameters = parameters
        self.maxConcurrent = maxConcurrent
        self.threadPool = threadPool
        self.semaphore = AsyncSemaphore(value: maxConcurrent)
        self.onWorkStart = onWorkStart
    }

    /// The nice value of the hashing threads: below the event loops, which keep the default 0.
    public static let backgroundNice: Int32 = 10

    /// One pool per process for every hasher that does not bring its own, one thread per core;
    /// each thread lowers its own priority when it first hashes.
    public static let backgroundPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: System.coreCount)
        pool.start()
        return pool
    }()

    /// Lowers the calling thread's priority (Linux sets nice per thread) unless already done.
    package static func runInBackground() {
        #if canImport(Glibc)
        // Linux keeps nice per thread; `who` 0 with PRIO_PROCESS names the calling thread only.
        let thread: id_t = 0
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread)
        if errno == 0, current < backgroundNice {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, backgroundNice)
        }
        #endif
    }

    /// Argon2 computations running on the thread pool right now.
    public var inFlight: Int {
        self.counters.withLock { $0.inFlight }
    }

    /// The most Argon2 computations ever seen running at once; never above ``maxConcurrent``.
    public var inFlightHighWater: Int {
        self.counters.withLock { $0.highWater }
    }

    public func hash(_ password: String) async throws -> String {
        let bytes = self.normalizedBytes(of: password)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Argon2id.saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let parameters = self.parameters
        return try await self.runBounded {
            try Argon2id.hash(password: bytes, salt: salt, parameters: parameters)
        }
    }

    public func verify(_ password: String, against encoded: String) async throws -> Bool {
        // Malformed strings are rejected without queueing for a permit or touching the pool.
        guard Argon2id.parameters(of: encoded) != nil else {
            return false
        }
        let bytes = self.normalizedBytes(of: password)
        return try await self.runBounded {
            try Argon2id.verify(password: bytes, encoded: encoded)
        }
    }

    public func needsRehash(_ encoded: String) -> Bool {
        guard let stored = Argon2id.parameters(of: encoded) else {
            return true
        }
        return stored.isWeaker(than: self.parameters)
    }

    /// Runs `work` on the thread pool while holding a semaphore permit.
    ///
    /// `runIfActive` returns only once `work` has finished or been dropped unrun (on cancellation), so
    /// releasing the permit after it returns keeps the bound on computations actually running.
    private func runBounded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await self.semaphore.waitUnlessCancelled()
        let result: Result<T, any Error>
        do {
            result = .success(
                try await self.threadPool.runIfActive {
                    if self.threadPool === Self.backgroundPool { Self.runInBackground() }
                    self.counters.withLock {
                        $0.inFlight += 1
                        $0.highWater = max($0.highWater, $0.inFlight)
                    }
                    defer { self.counters.withLock { $0.inFlight -= 1 } }
                    self.onWorkStart?()
                    return try work()
                }
            )
        } catch {
            result = .failure(error)
        }
        await self.semaphore.signal()
        return try result.get()
    }
}
