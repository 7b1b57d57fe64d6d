@testable import JobQueuePostgres
import Testing

@Suite("? placeholders to $n")
struct PlaceholderTests {
    @Test func numbersInOrder() {
        let (sql, count) = PostgresSQL.numberPlaceholders("SELECT * FROM t WHERE a = ? AND b IN (?, ?)")
        #expect(sql == "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)")
        #expect(count == 3)
    }

    @Test func skipsLiteralsIdentifiersAndComments() {
        let input = """
            SELECT '?', 'it''s ?', "col?" -- what?
            , ? /* a ? here */ , ?
            """
        let (sql, count) = PostgresSQL.numberPlaceholders(input)
        #expect(sql == """
            SELECT '?', 'it''s ?', "col?" -- what?
            , $1 /* a ? here */ , $2
            """)
        #expect(count == 2)
    }

    @Test func noPlaceholders() {
        #expect(PostgresSQL.numberPlaceholders("SELECT 1").count == 0)
    }
}
