import ArgumentParser
import Hummingbird
import Logging
import SekishoServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the login server.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await Fatal.exit {
            let configuration = try await options.load()
            let level = configuration.logLevel
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "sekisho")
            if let raised = DescriptorLimit.raiseToHardLimit() {
                logger.info("raised the open-file limit from \(raised.before) to \(raised.after)")
            }
            let dependencies = try Dependencies.open(configuration)
            try await dependencies.withStoreRunning {
                let app = try await buildApplication(dependencies, logger: logger)
                try await app.runService()
            }
        }
    }
}
