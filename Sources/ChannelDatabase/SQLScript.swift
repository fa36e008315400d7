import Foundation

/// Splits a script into its statements at semicolons outside quotes and comments.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var inLineComment = false
        var previous: Character?
        for character in script {
            if inLineComment {
                if character == "\n" { inLineComment = false }
                current.append(character)
            } else if let open = quote {
                if character == open { quote = nil }
                current.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == "-" && previous == "-" {
                inLineComment = true
                current.append(character)
            } else if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
