import Synchronization

/// A `Clock` whose time moves only when a test says so, for services that sleep between runs.
///
/// ``sleepCalls(reaching:)`` lets the test wait until the code under test has gone to sleep (so its previous run has
/// finished) before advancing; nothing in a test ever waits for real time to pass.
final class ManualSleepClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: self.offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - self.offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var sleepCalls = 0
        var nextID = 0
        var callWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        /// Removes and returns the waiters whose count has been reached.
        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            let calls = self.sleepCalls
            let ready = self.callWaiters.filter { $0.count <= calls }.map(\.continuation)
            self.callWaiters.removeAll { $0.count <= calls }
            return ready
        }
    }

    private let state = Mutex(State())

    var now: Instant { self.state.withLock { $0.now } }
    /// How many sleeps are waiting for their deadline right now.
    var sleeperCount: Int { self.state.withLock { $0.sleepers.count } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = self.state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (immediate, waiters) = self.state.withLock { state -> (Result<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
                    state.sleepCalls += 1
                    let waiters = state.takeWaiters()
                    // The cancellation flag is set before the handler runs, so checking it under the lock cannot miss it.
                    if Task.isCancelled { return (.failure(CancellationError()), waiters) }
                    if deadline <= state.now { return (.success(()), waiters) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (nil, waiters)
                }
                for waiter in waiters { waiter.resume() }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let sleeper = self.state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    func advance(by duration: Duration) {
        let due = self.state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once `sleep` has been called at least `count` times in total.
    func sleepCalls(reaching count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = self.state.withLock { state -> Bool in
                if state.sleepCalls >= count { return true }
                state.callWaiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
