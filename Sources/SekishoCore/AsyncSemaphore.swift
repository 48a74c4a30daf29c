/// A counting semaphore for Swift concurrency that hands out permits in first-come, first-served order.
///
/// Every successful return from ``wait()`` or ``waitUnlessCancelled()`` holds one permit, which the
/// caller must give back with exactly one ``signal()``. ``signal()`` hands a released permit straight to
/// the oldest waiter instead of returning it to the pool, so a newcomer can never overtake the queue.
///
/// ```swift
/// let semaphore = AsyncSemaphore(value: 2)
/// try await semaphore.waitUnlessCancelled()
/// let result = await doBoundedWork()
/// await semaphore.signal()  // on every path, including errors
/// ```
public actor AsyncSemaphore {
    /// A suspended waiter; `id` lets a cancellation find its own entry.
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// Permits not held by anyone. Never negative: waiters queue instead.
    private var value: Int
    /// Suspended callers, oldest first.
    private var waiters: [Waiter] = []
    private var nextWaiterID: UInt64 = 0

    /// Creates a semaphore with `value` permits.
    public init(value: Int) {
        precondition(value >= 0, "AsyncSemaphore needs a non-negative number of permits")
        self.value = value
    }

    /// Permits currently free.
    public var availablePermits: Int { self.value }

    /// Callers currently suspended waiting for a permit.
    public var waitingCount: Int { self.waiters.count }

    /// Takes a permit, suspending until one is free; ignores task cancellation.
    ///
    /// Because it always ends holding a permit, the caller must ``signal()`` exactly once afterwards.
    public func wait() async {
        if self.waiters.isEmpty, self.value > 0 {
            self.value -= 1
            return
        }
        // A waiter that is never cancelled can only be resumed by `signal`, which never throws into it.
        let id = self.makeWaiterID()
        try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            self.waiters.append(Waiter(id: id, continuation: continuation))
        }
    }

    /// Takes a permit, suspending until one is free, or throws `CancellationError` if the task is
    /// cancelled first.
    ///
    /// A permit is never lost to cancellation: if the task is cancelled while queued, its entry is
    /// removed and it throws without a permit; if `signal()` already handed it a permit, it returns
    /// normally and the caller owns (and must signal) that permit.
    public func waitUnlessCancelled() async throws {
        try Task.checkCancellation()
        if self.waiters.isEmpty, self.value > 0 {
            self.value -= 1
            return
        }
        let id = self.makeWaiterID()
        try await withTaskCancellationHandler {
            // Runs on this actor without suspending between the check and the enqueue, and the
            // cancellation handler below must hop onto this actor too, so it always runs either before
            // the check (the check throws) or after the enqueue (it finds the entry): no lost wake-up.
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    self.waiters.append(Waiter(id: id, continuation: continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id: id) }
        }
    }

    /// Returns a permit: resumes the oldest waiter with it, or makes it free if nobody waits.
    public func signal() {
        if self.waiters.isEmpty {
            self.value += 1
        } else {
            self.waiters.removeFirst().continuation.resume()
        }
    }

    private func makeWaiterID() -> UInt64 {
        defer { self.nextWaiterID += 1 }
        return self.nextWaiterID
    }

    /// Removes a cancelled waiter if it is still queued. If `signal` already resumed it, it owns a permit
    /// and there is nothing to undo.
    private func cancelWaiter(id: UInt64) {
        guard let index = self.waiters.firstIndex(where: { $0.id == id }) else {
            return
        }
        self.waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
