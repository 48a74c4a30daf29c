import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoServer
import Testing

@Suite struct HealthRoutesTests {
    @Test func healthAndReadinessAnswerOnceMigrated() async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.router) { client in
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.text == "ok\n")
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.router) { client in
                for uri in ["/healthz", "/no-such-page"] {
                    try await client.execute(uri: uri, method: .get) { response in
                        let policy = response.headers[.contentSecurityPolicy] ?? ""
                        #expect(policy.contains("frame-ancestors 'none'"))
                        #expect(!policy.contains("unsafe-inline"))
                        #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                        #expect(response.headers[.cacheControl] == "no-store")
                        #expect(response.headers[.xContentTypeOptions] == "nosniff")
                    }
                }
            }
        }
    }

    @Test func staticFilesAreServedAndTraversalIsNot() async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.router) { client in
                try await client.execute(uri: "/static/sekisho.css", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/css") == true)
                }
                for uri in ["/static/../Config/sekisho.yaml", "/static/%2e%2e/%2e%2e/Package.swift"] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status.code >= 400 && response.status.code < 500, "\(uri) gave \(response.status)")
                    }
                }
            }
        }
    }
}
