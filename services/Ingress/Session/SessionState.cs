namespace EmailPipeline.Ingress.Session;

/// <summary>Where a session is in the RFC 5321 command sequence.</summary>
internal enum SessionState
{
    /// <summary>Greeting sent; only EHLO/HELO (and the commands allowed anywhere) make sense.</summary>
    Connected,

    /// <summary>EHLO/HELO done, no transaction.</summary>
    Greeted,

    /// <summary>MAIL accepted; waiting for RCPT.</summary>
    Mail,

    /// <summary>At least one RCPT accepted; DATA or BDAT may follow.</summary>
    Recipients,

    /// <summary>BDAT chunks are arriving; only more BDAT (or RSET/QUIT/NOOP…) may follow.</summary>
    Chunking,
}

/// <summary>The command verbs the state table knows.</summary>
internal enum SmtpVerb
{
    Helo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    StartTls,
    Auth,
}

/// <summary>
/// The state table: which verbs each state allows. Anything else gets 503 5.5.1. It fits on one screen
/// on purpose — the whole sequence discipline of the session is here.
/// </summary>
internal static class SessionStateTable
{
    public static bool Allows(SessionState state, SmtpVerb verb) => verb switch
    {
        SmtpVerb.Helo or SmtpVerb.Rset or SmtpVerb.Noop or SmtpVerb.Quit or SmtpVerb.Vrfy or SmtpVerb.Expn or SmtpVerb.Help => true,
        SmtpVerb.StartTls or SmtpVerb.Auth => state == SessionState.Greeted,
        SmtpVerb.Mail => state == SessionState.Greeted,
        SmtpVerb.Rcpt => state is SessionState.Mail or SessionState.Recipients,
        SmtpVerb.Data => state == SessionState.Recipients,
        SmtpVerb.Bdat => state is SessionState.Recipients or SessionState.Chunking,
        _ => false,
    };
}
