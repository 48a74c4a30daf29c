#if canImport(Glibc)
import Glibc
#endif

/// glibc's spawn file actions that Swift's Glibc module does not declare, looked up at run time.
enum GlibcExtensions {
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+): the child closes every descriptor from `lowest` up.
    static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) throws {
        let function = unsafeBitCast(try symbol("posix_spawn_file_actions_addclosefrom_np", glibc: "2.34"), to: AddCloseFrom.self)
        try check(function(&actions, lowest), "posix_spawn_file_actions_addclosefrom_np")
    }

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+): the child starts in `directory`.
    static func addChdir(_ actions: inout posix_spawn_file_actions_t, _ directory: String) throws {
        let function = unsafeBitCast(try symbol("posix_spawn_file_actions_addchdir_np", glibc: "2.29"), to: AddChdir.self)
        try check(function(&actions, directory), "posix_spawn_file_actions_addchdir_np")
    }

    private static func symbol(_ name: String, glibc version: String) throws -> UnsafeMutableRawPointer {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else {
            throw TestSupportError("this C library has no \(name) (glibc \(version) or newer needed)")
        }
        return symbol
    }

    private static func check(_ result: Int32, _ name: String) throws {
        guard result == 0 else { throw TestSupportError("\(name) failed: errno \(result)") }
    }
}
