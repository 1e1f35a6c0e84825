using System.Text;
using EmailPipeline.Smtp.Parsing;
using EmailPipeline.Smtp.Replies;

namespace EmailPipeline.Smtp.Tests.Parsing;

internal static class ParseAssert
{
    public static T Command<T>(string line)
        where T : SmtpCommand
    {
        SmtpCommandParseResult result = SmtpCommandParser.Parse(Encoding.UTF8.GetBytes(line));
        Assert.True(result.IsSuccess, $"'{line}' was refused: {result}");
        Assert.Null(result.Error);
        return Assert.IsAssignableFrom<T>(result.Command);
    }

    public static SmtpReply Refused(string line) => Refused(Encoding.UTF8.GetBytes(line));

    public static SmtpReply Refused(byte[] line)
    {
        SmtpCommandParseResult result = SmtpCommandParser.Parse(line);
        Assert.False(result.IsSuccess, $"accepted as {result}");
        Assert.Null(result.Command);
        return result.Error.Value;
    }

    public static void Reply(string expected, SmtpReply reply) =>
        Assert.Equal(expected, $"{reply.Code} {reply.Status}");
}
