using EmailPipeline.Cli;

namespace EmailPipeline.Queue.Tests.Cli;

public sealed class QueueOutputTests
{
    [Theory]
    [InlineData("550 5.1.1 no such user", "550 5.1.1 no such user")]
    [InlineData("550 \u001b[2J\u001b[Hall clear", "550 \\x1B[2J\\x1B[Hall clear")] // clear the operator's screen
    [InlineData("451 try later\r\n    deferred  ceo@example.com", "451 try later\\x0D\\x0A    deferred  ceo@example.com")] // forge a line
    [InlineData("bell\u0007 and nul\0", "bell\\x07 and nul\\x00")]
    [InlineData("nel\u0085", "nel\\x85")]
    [InlineData("Ünïcödé stays", "Ünïcödé stays")]
    [InlineData(null, "")]
    public void A_remote_reply_shown_on_the_terminal_cannot_drive_it(string? reply, string shown) =>
        Assert.Equal(shown, QueueOutput.Shown(reply));
}
