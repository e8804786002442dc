import java.sql.*;
import java.util.*;

/** MariaDB Connector/J against a MySQL-protocol server: metadata and a server-side
 *  prepared statement; prints one line per fact so the test can compare servers. */
public class JdbcSession {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://" + args[0] + ":" + args[1] + "/" + args[4]
            + "?useServerPrepStmts=true";
        try (Connection c = DriverManager.getConnection(url, args[2], args[3])) {
            DatabaseMetaData md = c.getMetaData();
            try (ResultSet rs = md.getTables(args[4], null, "%", new String[] {"TABLE"})) {
                List<String> names = new ArrayList<>();
                while (rs.next()) names.add(rs.getString("TABLE_NAME"));
                Collections.sort(names);
                System.out.println("tables " + names);
            }
            try (ResultSet rs = md.getColumns(args[4], null, "items", "%")) {
                while (rs.next()) {
                    System.out.println("column " + rs.getString("COLUMN_NAME") + " "
                        + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE") + " "
                        + rs.getInt("COLUMN_SIZE") + " " + rs.getString("IS_NULLABLE"));
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, name, price, created FROM items WHERE id >= ? ORDER BY id")) {
                ps.setInt(1, 2);
                try (ResultSet rs = ps.executeQuery()) {
                    ResultSetMetaData rm = rs.getMetaData();
                    for (int i = 1; i <= rm.getColumnCount(); i++) {
                        System.out.println("meta " + rm.getColumnLabel(i) + " " + rm.getColumnTypeName(i)
                            + " " + rm.getPrecision(i) + " " + rm.getScale(i));
                    }
                    while (rs.next()) {
                        System.out.println("row " + rs.getInt(1) + " " + rs.getString(2) + " "
                            + rs.getBigDecimal(3) + " " + rs.getTimestamp(4));
                    }
                }
            }
        }
    }
}
