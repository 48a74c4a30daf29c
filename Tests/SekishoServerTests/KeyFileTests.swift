import Foundation
import SekishoServer
import TestSupport
import Testing

@Suite struct KeyFileTests {
    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func firstStartCreatesDirectoryAndKeyWithTightModes() async throws {
        try await ScratchDirectory.with("key") { scratch in
            let directory = scratch.path("data")
            let key = try KeyFile.loadOrCreate(at: directory + "/sekisho.key")
            #expect(key.count == 32)
            #expect(try mode(directory) == 0o700)
            #expect(try mode(directory + "/sekisho.key") == 0o600)
            // The next start reads the same key; it is never replaced.
            #expect(try KeyFile.loadOrCreate(at: directory + "/sekisho.key") == key)
        }
    }

    @Test func keyReadableByOthersIsRefused() async throws {
        try await ScratchDirectory.with("key") { scratch in
            // A folder that does not exist yet, as on a first start.
            let path = scratch.path("data") + "/sekisho.key"
            let key = try KeyFile.loadOrCreate(at: path)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            #expect {
                _ = try KeyFile.loadOrCreate(at: path)
            } throws: { error in
                (error as? StartupError)?.message.contains("chmod 600") == true
            }
            // Refusing must not have touched the file.
            #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == key)
        }
    }

    @Test func keyOfWrongLengthIsRefusedAndKept() async throws {
        try await ScratchDirectory.with("key") { directory in
            let path = directory.path("sekisho.key")
            FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 16), attributes: [.posixPermissions: 0o600])
            #expect {
                _ = try KeyFile.loadOrCreate(at: path)
            } throws: { error in
                (error as? StartupError)?.message.contains("16 bytes") == true
            }
            #expect(FileManager.default.contents(atPath: path) == Data(repeating: 7, count: 16))
        }
    }
}
