import Logging
import Synchronization

/// Collects what a `Logger` writes, so tests can assert on the exact lines and levels.
final class LogCapture: Sendable {
    /// One logged line.
    struct Entry: Sendable, Equatable {
        var level: Logger.Level
        var message: String
    }

    private let entries = Mutex<[Entry]>([])

    /// A logger at `level` that writes into this capture.
    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test.capture") { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Everything logged so far, in order.
    var all: [Entry] {
        self.entries.withLock { $0 }
    }

    /// The messages logged at `level`.
    func messages(at level: Logger.Level) -> [String] {
        self.all.filter { $0.level == level }.map(\.message)
    }

    /// All messages as one text, for "contains" checks and failure output.
    var text: String {
        self.all.map { "[\($0.level)] \($0.message)" }.joined(separator: "\n")
    }

    fileprivate func append(_ entry: Entry) {
        self.entries.withLock { $0.append(entry) }
    }
}

/// The `LogHandler` behind ``LogCapture/logger(level:)``.
private struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // Metadata is part of what reaches an operator's log, so it is captured with the message.
        let metadata = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let suffix = metadata.isEmpty ? "" : " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.capture.append(.init(level: event.level, message: event.message.description + suffix))
    }
}
