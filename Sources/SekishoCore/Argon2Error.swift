import CArgon2

/// A failure reported by libargon2, carrying its error code and message.
public struct Argon2Error: Error, Hashable, CustomStringConvertible {
    /// The libargon2 `Argon2_ErrorCodes` value.
    public let code: Int32

    /// Wraps a libargon2 return code.
    public init(code: Int32) {
        self.code = code
    }

    /// The message libargon2 gives for ``code`` (`argon2_error_message`).
    public var message: String {
        String(cString: argon2_error_message(self.code))
    }

    /// The machine ran out of memory or threads: the computation may succeed later.
    public var isResourceExhaustion: Bool {
        code == ARGON2_MEMORY_ALLOCATION_ERROR.rawValue || code == ARGON2_THREAD_FAIL.rawValue
    }

    public var description: String {
        "Argon2 error \(self.code): \(self.message)"
    }
}
