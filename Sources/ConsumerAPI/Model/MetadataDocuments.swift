import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The service document and `$metadata` in both CSDL formats, rendered once from the model.
struct MetadataDocuments: Sendable {
    private let model: EntityModel
    private let xml: ByteBuffer
    private let json: ByteBuffer

    init(_ model: EntityModel) {
        self.model = model
        xml = ByteBuffer(string: CSDL.xml(model))
        json = ByteBuffer(bytes: CSDL.json(model))
    }

    /// CSDL XML unless JSON is asked for by `$format` or preferred by `Accept`; 406 when the
    /// client accepts neither.
    func response(for request: Request, format: String?) throws -> Response {
        let useJSON: Bool
        if let format {
            useJSON = format == "json"
        } else if let accept = request.headers[.accept]?.lowercased(), !accept.isEmpty {
            let ranges = accept.split(separator: ",").map { $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
            let xmlOK = ranges.contains { ["application/xml", "text/xml", "application/*", "*/*", "text/*"].contains($0) }
            let jsonOK = ranges.contains { ["application/json", "application/*", "*/*"].contains($0) }
            guard xmlOK || jsonOK else {
                throw ODataError(.notAcceptable, code: "NotAcceptable", "$metadata is served as application/xml or application/json, neither is acceptable to the client")
            }
            // XML is the default CSDL format: JSON only when XML is not acceptable or JSON is named first.
            useJSON = !xmlOK || (ranges.first == "application/json")
        } else {
            useJSON = false
        }
        var headers = HTTPFields()
        headers[.contentType] = useJSON ? "application/json" : "application/xml"
        headers[ODataHeaders.odataVersion] = "4.0"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: useJSON ? json : xml))
    }

    /// The service document: every entity set, and every unbound function a client can call
    /// without parameters.
    func serviceDocument(serviceRoot: String) -> Response {
        var writer = JSONWriter(capacity: 2048)
        writer.beginObject()
        writer.field("@odata.context", "\(serviceRoot)/$metadata")
        writer.key("value")
        writer.beginArray()
        for set in model.entitySets {
            writer.beginObject()
            writer.field("name", set.name)
            writer.field("kind", "EntitySet")
            writer.field("url", set.name)
            writer.endObject()
        }
        for operation in model.operations where operation.binding == nil && operation.kind == .function {
            writer.beginObject()
            writer.field("name", operation.name)
            writer.field("kind", "FunctionImport")
            writer.field("url", operation.name)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return CommerceAPI.json(writer.bytes, status: .ok)
    }
}
