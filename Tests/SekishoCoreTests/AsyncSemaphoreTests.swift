import SekishoCore
import Synchronization
import Testing

@Suite("AsyncSemaphore")
struct AsyncSemaphoreTests {
    /// Yields until `condition` holds; a readiness check on other tasks' progress, not a wait for time.
    private static func yield(until condition: () async -> Bool) async {
        while await !condition() {
            await Task.yield()
        }
    }

    @Test("free permits are taken without suspending and returned by signal")
    func immediatePermits() async {
        let semaphore = AsyncSemaphore(value: 2)
        await semaphore.wait()
        #expect(await semaphore.availablePermits == 1)
        await semaphore.wait()
        #expect(await semaphore.availablePermits == 0)
        await semaphore.signal()
        await semaphore.signal()
        #expect(await semaphore.availablePermits == 2)
        #expect(await semaphore.waitingCount == 0)
    }

    @Test("waiters get permits in arrival order")
    func fifo() async throws {
        let semaphore = AsyncSemaphore(value: 0)
        let (acquired, continuation) = AsyncStream.makeStream(of: Int.self)
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<5 {
            tasks.append(
                Task {
                    if index.isMultiple(of: 2) {
                        await semaphore.wait()
                    } else {
                        try await semaphore.waitUnlessCancelled()
                    }
                    continuation.yield(index)
                }
            )
            // Wait until this task is queued before starting the next, so arrival order is known.
            await Self.yield { await semaphore.waitingCount == index + 1 }
        }
        var iterator = acquired.makeAsyncIterator()
        for expected in 0..<5 {
            // Each signal hands exactly one permit to exactly one waiter: the oldest.
            await semaphore.signal()
            let next = await iterator.next()
            #expect(next == expected)
        }
        for task in tasks { try await task.value }
        #expect(await semaphore.availablePermits == 0)
        #expect(await semaphore.waitingCount == 0)
    }

    @Test("a newcomer does not overtake queued waiters")
    func noBarging() async throws {
        let semaphore = AsyncSemaphore(value: 0)
        let waiter = Task { try await semaphore.waitUnlessCancelled() }
        await Self.yield { await semaphore.waitingCount == 1 }
        await semaphore.signal()
        // The released permit went to the queued waiter, so none is free for a newcomer.
        #expect(await semaphore.availablePermits == 0)
        try await waiter.value
    }

    @Test("cancelling a queued waiter throws and leaks no permit")
    func cancelWhileQueued() async {
        let semaphore = AsyncSemaphore(value: 1)
        await semaphore.wait()
        let waiter = Task { try await semaphore.waitUnlessCancelled() }
        await Self.yield { await semaphore.waitingCount == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await semaphore.waitingCount == 0)
        // The permit we hold comes back free; the cancelled waiter neither took it nor blocks it.
        await semaphore.signal()
        #expect(await semaphore.availablePermits == 1)
    }

    @Test("an already-cancelled task throws without taking a free permit")
    func cancelledBeforeWaiting() async {
        let semaphore = AsyncSemaphore(value: 1)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await semaphore.waitUnlessCancelled()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await semaphore.availablePermits == 1)
    }

    @Test("a waiter cancelled after being handed a permit keeps it and must signal")
    func cancelAfterGrant() async throws {
        let semaphore = AsyncSemaphore(value: 0)
        let waiter = Task { try await semaphore.waitUnlessCancelled() }
        await Self.yield { await semaphore.waitingCount == 1 }
        await semaphore.signal()
        waiter.cancel()
        try await waiter.value
        #expect(await semaphore.availablePermits == 0)
        await semaphore.signal()
        #expect(await semaphore.availablePermits == 1)
    }

    @Test("wait() ignores cancellation and still ends holding a permit")
    func waitIgnoresCancellation() async {
        let semaphore = AsyncSemaphore(value: 0)
        let waiter = Task { await semaphore.wait() }
        await Self.yield { await semaphore.waitingCount == 1 }
        waiter.cancel()
        await Self.yield { await semaphore.waitingCount == 1 }
        await semaphore.signal()
        await waiter.value
        #expect(await semaphore.availablePermits == 0)
        #expect(await semaphore.waitingCount == 0)
    }

    @Test("never more holders than permits under contention, with cancellations mixed in")
    func bound() async throws {
        let semaphore = AsyncSemaphore(value: 3)
        let holders = HolderCount()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        try await semaphore.waitUnlessCancelled()
                    } catch {
                        return
                    }
                    holders.enter()
                    await Task.yield()
                    holders.leave()
                    await semaphore.signal()
                    if index.isMultiple(of: 7) {
                        withUnsafeCurrentTask { $0?.cancel() }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(holders.highWater <= 3)
        #expect(holders.highWater >= 1)
        #expect(holders.current == 0)
        #expect(await semaphore.availablePermits == 3)
        #expect(await semaphore.waitingCount == 0)
    }
}

/// Counts tasks inside a critical section and the most seen there at once.
private final class HolderCount: Sendable {
    private let state = Mutex((current: 0, highWater: 0))

    var current: Int { self.state.withLock { $0.current } }
    var highWater: Int { self.state.withLock { $0.highWater } }

    func enter() {
        self.state.withLock {
            $0.current += 1
            $0.highWater = max($0.highWater, $0.current)
        }
    }

    func leave() {
        self.state.withLock { $0.current -= 1 }
    }
}
