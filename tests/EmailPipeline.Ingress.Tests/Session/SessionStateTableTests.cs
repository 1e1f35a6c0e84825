using EmailPipeline.Ingress.Session;

namespace EmailPipeline.Ingress.Tests.Session;

public sealed class SessionStateTableTests
{
    [Theory]
    [InlineData("Connected", "Mail", false)]
    [InlineData("Connected", "Helo", true)]
    [InlineData("Connected", "StartTls", false)]
    [InlineData("Greeted", "Mail", true)]
    [InlineData("Greeted", "Rcpt", false)]
    [InlineData("Greeted", "Auth", true)]
    [InlineData("Mail", "Mail", false)]
    [InlineData("Mail", "Rcpt", true)]
    [InlineData("Mail", "Data", false)]
    [InlineData("Mail", "Auth", false)]
    [InlineData("Mail", "StartTls", false)]
    [InlineData("Recipients", "Data", true)]
    [InlineData("Recipients", "Bdat", true)]
    [InlineData("Chunking", "Bdat", true)]
    [InlineData("Chunking", "Data", false)]
    [InlineData("Chunking", "Rcpt", false)]
    [InlineData("Chunking", "Rset", true)]
    [InlineData("Chunking", "Quit", true)]
    public void The_table_allows_only_the_rfc_5321_sequence(string state, string verb, bool allowed) =>
        Assert.Equal(allowed, SessionStateTable.Allows(Enum.Parse<SessionState>(state), Enum.Parse<SmtpVerb>(verb)));
}
