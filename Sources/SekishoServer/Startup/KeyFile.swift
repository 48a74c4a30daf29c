import Foundation

#if canImport(Glibc)
// Since JWTKit joined the module's dependencies, the compiler finds `struct stat` in
// CoreFoundation's clang module, and with MemberImportVisibility its members need that import.
import CoreFoundation
import Glibc
// Depending on the order the module's files load the clang modules, `struct stat` can be found
// in Dispatch's clang module instead.
#if canImport(CDispatch)
import CDispatch
#endif
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The 32-byte master key that seals secrets in the database.
///
/// Created once with mode 0600 and never overwritten: losing it makes every sealed secret
/// (authenticator keys, the SMTP password) unreadable.
public enum KeyFile {
    public static let keyLength = 32

    /// Loads the key at `path`, creating it (and its directory, mode 0700) when missing.
    public static func loadOrCreate(at path: String) throws(StartupError) -> [UInt8] {
        let directory = (path as NSString).deletingLastPathComponent
        try DataDirectory.ensure(directory.isEmpty ? "." : directory)
        if FileManager.default.fileExists(atPath: path) {
            return try load(at: path)
        }
        return try create(at: path)
    }

    static func load(at path: String) throws(StartupError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StartupError("cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StartupError("key file \(path) is not a regular file")
        }
        // Group or others may read it: the secrets it protects are as good as public.
        guard info.st_mode & 0o077 == 0 else {
            throw StartupError(
                "key file \(path) is accessible by others (mode \(String(info.st_mode & 0o777, radix: 8))); run: chmod 600 \(path)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StartupError("cannot read key file \(path)")
        }
        guard data.count == keyLength else {
            throw StartupError("key file \(path) holds \(data.count) bytes; a Sekisho key is exactly \(keyLength) bytes")
        }
        return [UInt8](data)
    }

    static func create(at path: String) throws(StartupError) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // O_EXCL: if another process created the file meanwhile, we fail instead of overwriting it.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StartupError("cannot create key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == keyLength, fsync(fd) == 0 else {
            unlink(path)
            throw StartupError("cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
        return key
    }
}

/// Creates the data directory with mode 0700 when it does not exist.
public enum DataDirectory {
    public static func ensure(_ path: String) throws(StartupError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StartupError("\(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartupError("cannot create data directory \(path): \(error.localizedDescription)")
        }
    }
}
