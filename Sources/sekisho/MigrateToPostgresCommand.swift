import ArgumentParser
import Foundation
import Logging
import SekishoStore

/// `sekisho migrate-to-postgres`: moves an installation from its SQLite file to PostgreSQL, for
/// running several instances (issue 9, item 4). Stop the server first: changes made after the
/// copy has read the file would stay behind.
struct MigrateToPostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-to-postgres",
        abstract: "Copy an SQLite installation into an empty PostgreSQL database and verify the counts.",
        discussion: """
            Stop Sekisho first. The target database must exist and be empty; it is migrated, filled in one \
            transaction and every table's row count compared. Keep the key file: the copied secrets are sealed \
            with it. Then set database.url and start the instances.
            """
    )

    @Option(help: ArgumentHelp("The SQLite file of the installation.", valueName: "path"))
    var from: String

    @Option(
        help: ArgumentHelp(
            "postgres://user:password@host:port/database (default: SEKISHO_DATABASE_URL, which keeps the password out of the process list).",
            valueName: "url"
        )
    )
    var to: String?

    func run() async throws {
        try await Fatal.exit {
            guard FileManager.default.fileExists(atPath: from) else {
                throw Fatal("no SQLite database at \(from)", exitCode: 2)
            }
            guard let url = to ?? ProcessInfo.processInfo.environment["SEKISHO_DATABASE_URL"] else {
                throw Fatal("name the PostgreSQL database with --to or SEKISHO_DATABASE_URL", exitCode: 2)
            }
            let target: PostgresStore
            do {
                target = try PostgresStore(url: url, poolSize: 2, logger: Logger(label: "sekisho.migrate"))
            } catch {
                throw Fatal("--to: \(error)", exitCode: 2)
            }
            let source = try SQLiteStore(path: from)
            let tables = try await target.whileRunning {
                do {
                    return try await target.copy(from: source)
                } catch let error as PostgresStoreError {
                    throw Fatal("\(error)", exitCode: 1)
                }
            }
            for table in tables {
                print(table)
            }
            let differing = tables.filter { $0.sourceRows != $0.targetRows }
            guard differing.isEmpty else {
                throw Fatal("row counts differ for \(differing.map(\.name).joined(separator: ", "))", exitCode: 1)
            }
            print("copied \(tables.reduce(0) { $0 + $1.targetRows }) rows from \(from) to \(target.location); counts verified")
        }
    }
}
