import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A new, empty folder under the system's temporary directory, for one test's files.
///
/// Made with `mkdtemp`, so two tests (or two test processes) never share one. `with` removes it
/// when the test's scope ends; the few owners that outlive a scope call ``remove()`` themselves.
public struct ScratchDirectory: Sendable {
    public let url: URL

    /// Makes `sekisho-<label>-XXXXXX`; `permissions` for programs that drop root privileges
    /// (chronyd writes as `_chrony`), otherwise `mkdtemp`'s owner-only 0700.
    public init(_ label: String, permissions: Int? = nil) throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-\(label)-XXXXXX").path
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw TestSupportError("cannot make a folder like \(template): errno \(errno)") }
        url = URL(fileURLWithPath: String(cString: bytes))
        if let permissions {
            try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: url.path)
        }
    }

    public var path: String { url.path }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// Runs `body` with a new folder and removes it afterwards, whatever happens.
    public static func with<Result>(
        _ label: String,
        permissions: Int? = nil,
        _ body: (ScratchDirectory) async throws -> Result
    ) async throws -> Result {
        try await withCleanup(ScratchDirectory(label, permissions: permissions), cleanup: { $0.remove() }, body)
    }
}
