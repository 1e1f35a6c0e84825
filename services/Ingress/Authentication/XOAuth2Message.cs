using System.Diagnostics.CodeAnalysis;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// Google's XOAUTH2: <c>user=&lt;u&gt;^Aauth=Bearer &lt;token&gt;^A^A</c>. A rejected token gets a JSON error
/// challenge (as Gmail sends), the client answers with an empty line, and only then does the exchange fail.
/// </summary>
internal static class XOAuth2Message
{
    public static bool TryParse(ReadOnlySpan<byte> message, out string? userName, [NotNullWhen(true)] out string? token, [NotNullWhen(false)] out string? problem)
    {
        userName = null;
        token = null;
        problem = "malformed message";
        if (!SaslText.TryDecode(message, out string? text) || !text.EndsWith("\u0001\u0001", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (string field in text[..^2].Split('\u0001'))
        {
            if (field.StartsWith("user=", StringComparison.Ordinal) && userName is null)
            {
                userName = field["user=".Length..];
            }
            else if (field.StartsWith("auth=", StringComparison.Ordinal) && token is null)
            {
                token = BearerIdentity.TokenFromAuthValue(field["auth=".Length..]);
            }
            else
            {
                return false;
            }
        }

        if (string.IsNullOrEmpty(userName) || token is null)
        {
            userName = null;
            token = null;
            return false;
        }

        problem = null;
        return true;
    }
}
