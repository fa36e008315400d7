@testable import ConsumerAPI
import Foundation
import Testing

/// The multipart reader of `$batch` (RFC 2046) and the pieces of a batch request line.
@Suite("Multipart batch bodies")
struct MultipartBodyTests {
    static func parts(_ text: String, boundary: String = "b") throws -> [MultipartBody.Part] {
        try MultipartBody.parts(of: Array(text.utf8), boundary: boundary, describing: "test body")
    }

    @Test("parts with CRLF or bare LF, preamble and epilogue ignored, the line break before a delimiter not part of the content")
    func parts() throws {
        let crlf = try Self.parts("preamble\r\n--b\r\nContent-Type: application/http\r\n\r\nGET x\r\n\r\n\r\n--b  \r\nContent-ID: 2\r\n\r\nbody--b not a delimiter\r\n--bx is not one either\r\n--b--\r\nepilogue")
        #expect(crlf.count == 2)
        #expect(crlf[0].header("content-type") == "application/http")
        #expect(String(decoding: crlf[0].content, as: UTF8.self) == "GET x\r\n\r\n")
        #expect(crlf[1].header("Content-ID") == "2")
        #expect(String(decoding: crlf[1].content, as: UTF8.self) == "body--b not a delimiter\r\n--bx is not one either")

        let lf = try Self.parts("--b\nContent-Type: application/http\n\nPOST y\n\n{}\n--b--")
        #expect(lf.count == 1 && String(decoding: lf[0].content, as: UTF8.self) == "POST y\n\n{}")
    }

    @Test("no delimiter, no closing delimiter, a header line without a colon: 400")
    func malformed() {
        for text in ["no parts here", "--b\r\nContent-Type: application/http\r\n\r\nGET x\r\n", "--b\r\nnot a header\r\n\r\nx\r\n--b--", "--b"] {
            #expect(throws: ODataError.self, "\(text)") { try Self.parts(text) }
        }
    }

    @Test("media types: name lower-cased, parameters unquoted")
    func mediaTypes() {
        let type = MediaType(#"Multipart/Mixed; boundary="batch; 1"; charset=utf-8"#)
        #expect(type.name == "multipart/mixed")
        #expect(type.parameters == ["boundary": "batch; 1", "charset": "utf-8"])
        #expect(MediaType("application/json").parameters.isEmpty)
    }

    @Test("request URLs: absolute, absolute path, relative, $<id> references, system resources")
    func targets() throws {
        #expect(try BatchTarget(url: "http://host:8080/Commerce/Products?$top=1", label: "t").text == "/Commerce/Products?$top=1")
        #expect(try BatchTarget(url: "/Commerce/Carts", label: "t").text == "/Commerce/Carts")
        #expect(try BatchTarget(url: "Carts('a')", label: "t").text == "/Commerce/Carts('a')")
        #expect(try BatchTarget(url: "$metadata", label: "t").referencedId == nil)
        let reference = try BatchTarget(url: "$1/AddCartLines?x=1", label: "t")
        #expect(reference.referencedId == "1")
        #expect(reference.resolved(location: "http://host/Commerce/Carts('c')") == "/Commerce/Carts('c')/AddCartLines?x=1")
        #expect(try BatchTarget(url: "$cart", label: "t").resolved(location: "http://host/Commerce/Carts('c')") == "/Commerce/Carts('c')")
        #expect(throws: ODataError.self) { try BatchTarget(url: "$/x", label: "t") }
    }

    @Test("Prefer: continue-on-error, with or without the odata. prefix, =false turns it off")
    func preferences() {
        #expect(Preferences(["continue-on-error"]).continueOnError)
        #expect(Preferences(["return=minimal, odata.continue-on-error=true"]).continueOnError)
        #expect(!Preferences(["continue-on-error=false"]).continueOnError)
        #expect(!Preferences([]).continueOnError)
    }
}
