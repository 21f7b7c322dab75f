//! Keyword rules: which agent handles a piece of work, what type of work it is, and how urgent
//! it is.
//!
//! Matching is on whole words (maximal runs of alphanumeric characters,
//! lowercased) with an optional plural `s`, so "ad," and "(Ads)" match `ad`
//! while "lead", "upload" and "adverts" do not. A keyword of two words ("case study") matches
//! those words in a row, the plural `s` on the last one.

/// The agents a strategy's work can be routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agent {
    ContentGenerator,
    CalendarAgent,
    EmailAgent,
    CampaignManager,
    AnalyticsAgent,
    GeneralExecutor,
}

impl Agent {
    pub const ALL: [Agent; 6] = [
        Agent::ContentGenerator,
        Agent::CalendarAgent,
        Agent::EmailAgent,
        Agent::CampaignManager,
        Agent::AnalyticsAgent,
        Agent::GeneralExecutor,
    ];

    /// Name stored in `tasks.assigned_agent`.
    pub fn name(&self) -> &'static str {
        match self {
            Agent::ContentGenerator => "content-generator",
            Agent::CalendarAgent => "calendar-agent",
            Agent::EmailAgent => "email-agent",
            Agent::CampaignManager => "campaign-manager",
            Agent::AnalyticsAgent => "analytics-agent",
            Agent::GeneralExecutor => "general-executor",
        }
    }
}

/// Rules in precedence order: the first whose keywords appear wins.
const AGENT_RULES: [(&[&str], Agent); 5] = [
    (&["blog", "content", "copy"], Agent::ContentGenerator),
    (&["calendar", "schedule"], Agent::CalendarAgent),
    (&["email", "drip"], Agent::EmailAgent),
    (&["ad", "campaign"], Agent::CampaignManager),
    (&["analytics", "tracking"], Agent::AnalyticsAgent),
];

/// The specification's task types (`autonomous_tasks.task_type`), contract section 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskType {
    Content,
    Design,
    Campaign,
    Analysis,
    Email,
    SocialMedia,
    Research,
    Strategy,
    Other,
}

impl TaskType {
    pub const ALL: [TaskType; 9] = [
        TaskType::Content,
        TaskType::Design,
        TaskType::Campaign,
        TaskType::Analysis,
        TaskType::Email,
        TaskType::SocialMedia,
        TaskType::Research,
        TaskType::Strategy,
        TaskType::Other,
    ];

    /// Value stored in `autonomous_tasks.task_type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TaskType::Content => "content",
            TaskType::Design => "design",
            TaskType::Campaign => "campaign",
            TaskType::Analysis => "analysis",
            TaskType::Email => "email",
            TaskType::SocialMedia => "social_media",
            TaskType::Research => "research",
            TaskType::Strategy => "strategy",
            TaskType::Other => "other",
        }
    }
}

/// Type rules in the contract's order (section 8): the first whose keywords appear wins.
/// `migrations/0009_spec_types_deadlines.sql` applies the same rules to old rows.
const TYPE_RULES: [(&[&str], TaskType); 8] = [
    (&["email", "newsletter", "drip"], TaskType::Email),
    (
        &["social", "post", "tweet", "instagram", "facebook", "tiktok"],
        TaskType::SocialMedia,
    ),
    (
        &[
            "analytics",
            "tracking",
            "report",
            "dashboard",
            "kpi",
            "metric",
        ],
        TaskType::Analysis,
    ),
    (
        &["design", "graphic", "visual", "banner", "image", "mockup"],
        TaskType::Design,
    ),
    (
        &["research", "survey", "interview", "competitor"],
        TaskType::Research,
    ),
    (
        &[
            "blog",
            "content",
            "copy",
            "article",
            "write",
            "whitepaper",
            "video",
            "case study",
        ],
        TaskType::Content,
    ),
    (
        &["ad", "campaign", "launch", "webinar", "event", "promotion"],
        TaskType::Campaign,
    ),
    (
        &["strategy", "plan", "positioning", "messaging"],
        TaskType::Strategy,
    ),
];

/// Classifies a piece of work by its wording, as the specification's `classifyActivityType`.
pub fn task_type_for(text: &str) -> TaskType {
    let words = words(text);
    TYPE_RULES
        .iter()
        .find(|(keywords, _)| has_word(&words, keywords))
        .map_or(TaskType::Other, |&(_, t)| t)
}

/// Lowercased words of `text`; anything non-alphanumeric is a separator.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// True if some word equals one of `keywords`, or that keyword plus `s`; a keyword of several
/// words matches them in a row.
fn has_word(words: &[String], keywords: &[&str]) -> bool {
    keywords.iter().any(|k| {
        let parts: Vec<&str> = k.split(' ').collect();
        words.windows(parts.len()).any(|run| {
            run.iter().zip(&parts).enumerate().all(|(i, (w, p))| {
                w == p || (i + 1 == parts.len() && w.strip_suffix('s') == Some(p))
            })
        })
    })
}

/// Picks the agent for a piece of work from its wording.
pub fn agent_for(text: &str) -> Agent {
    let words = words(text);
    AGENT_RULES
        .iter()
        .find(|(keywords, _)| has_word(&words, keywords))
        .map_or(Agent::GeneralExecutor, |&(_, agent)| agent)
}

/// Priority (1..=10) of a calendar activity: earlier phases and
/// time-critical wording come first.
pub fn activity_priority(phase_index: usize, activity: &str) -> i16 {
    let words = words(activity);
    let phase_bonus = match phase_index {
        0 => 3,
        1 => 2,
        2 => 1,
        _ => 0,
    };
    let urgent = if has_word(&words, &["launch", "deadline"]) {
        2
    } else {
        0
    };
    let event = if has_word(&words, &["webinar", "campaign"]) {
        1
    } else {
        0
    };
    (5 + phase_bonus + urgent + event).clamp(1, 10)
}

/// Priority (1..=10) of a content pillar: one point per started 10 % share.
pub fn pillar_priority(percentage: f64) -> i16 {
    let tenths = (percentage / 10.0).ceil();
    // NaN would otherwise cast to 0; treat it like "no share".
    if tenths.is_nan() {
        return 1;
    }
    // Clamped to 1..=10 first, so the cast cannot truncate.
    tenths.clamp(1.0, 10.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_keywords() {
        use Agent::*;
        for (text, want) in [
            ("Write blog post", ContentGenerator),
            ("Publish BLOGS weekly", ContentGenerator),
            ("Review the contents", ContentGenerator),
            ("Landing page copy", ContentGenerator),
            ("Copywriting sprint", GeneralExecutor),
            ("Content-calendar review", ContentGenerator),
            ("Build the calendar", CalendarAgent),
            ("Schedule posts", CalendarAgent),
            ("schedules for Q3", CalendarAgent),
            ("Scheduling posts", GeneralExecutor),
            ("Send EMAILS", EmailAgent),
            ("Set up drips", EmailAgent),
            ("Send e-mail", GeneralExecutor),
            ("Newsletter (email)", EmailAgent),
            ("Run ad, then rest", CampaignManager),
            ("Buy search (Ads)", CampaignManager),
            ("Ad-hoc outreach", CampaignManager),
            ("Launch campaigns", CampaignManager),
            ("Generate lead lists", GeneralExecutor),
            ("upload assets", GeneralExecutor),
            ("Design adverts", GeneralExecutor),
            ("bad reading", GeneralExecutor),
            ("Adds more", GeneralExecutor),
            ("Set up analytics", AnalyticsAgent),
            ("Conversion tracking", AnalyticsAgent),
            ("Track conversions", GeneralExecutor),
            ("Hire a designer", GeneralExecutor),
            ("", GeneralExecutor),
            ("ÉMAIL blast", GeneralExecutor),
            ("Blog🙂ad", ContentGenerator),
        ] {
            assert_eq!(agent_for(text), want, "{text}");
        }
    }

    #[test]
    fn agent_rule_order() {
        use Agent::*;
        for (text, want) in [
            ("Email the blog", ContentGenerator),
            ("Schedule the ad campaign", CalendarAgent),
            ("Email ad results", EmailAgent),
            ("Campaign analytics", CampaignManager),
            ("Analytics for content", ContentGenerator),
        ] {
            assert_eq!(agent_for(text), want, "{text}");
        }
    }

    #[test]
    fn task_type_keywords() {
        use TaskType::*;
        for (text, want) in [
            ("Send the newsletter", Email),
            ("Set up drips", Email),
            ("Schedule posts", SocialMedia),
            ("Tweet the launch", SocialMedia),
            ("TikTok series", SocialMedia),
            ("Weekly KPI dashboard", Analysis),
            ("Conversion tracking", Analysis),
            ("Design banners", Design),
            ("Hire a designer", Other),
            ("Competitor survey", Research),
            ("Interviews with customers", Research),
            ("Write blog post", SocialMedia),
            ("Write blog", Content),
            ("Publish case studys", Content),
            ("Customer case study", Content),
            ("Case by case", Other),
            ("Product launch webinar", Campaign),
            ("Run ads", Campaign),
            ("Generate lead lists", Other),
            ("upload assets", Other),
            ("Messaging framework", Strategy),
            ("Plan Q3", Strategy),
            ("Build the calendar", Other),
            ("", Other),
        ] {
            assert_eq!(task_type_for(text), want, "{text}");
        }
    }

    #[test]
    fn task_type_rule_order() {
        use TaskType::*;
        for (text, want) in [
            ("Email the social post", Email),
            ("Social analytics", SocialMedia),
            ("Report on the design", Analysis),
            ("Design the research survey", Design),
            ("Research blog topics", Research),
            ("Blog about the campaign", Content),
            ("Campaign strategy", Campaign),
        ] {
            assert_eq!(task_type_for(text), want, "{text}");
        }
    }

    #[test]
    fn task_type_names_are_the_columns_values() {
        let got: Vec<_> = TaskType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(got, crate::queue::TASK_TYPES);
    }

    #[test]
    fn activity_priorities() {
        for (phase, text, want) in [
            (0, "Hire a designer", 8),
            (1, "Hire a designer", 7),
            (2, "Hire a designer", 6),
            (3, "Hire a designer", 5),
            (99, "Hire a designer", 5),
            (0, "Launch the campaign webinar", 10),
            (3, "Launch the campaign webinar", 8),
            (3, "Meet the DEADLINE", 7),
            // only a bare `s` plural counts: "launches" is not launch+s
            (3, "Launches and webinars", 6),
            (3, "Deadlines", 7),
            (3, "Launch, deadline", 7),
            (3, "Relaunch the prelaunch", 5),
            (2, "Campaign recap", 7),
            (1, "launch", 9),
        ] {
            assert_eq!(activity_priority(phase, text), want, "{phase} {text}");
        }
    }

    #[test]
    fn pillar_priorities() {
        for (pct, want) in [
            (0.0, 1),
            (0.5, 1),
            (10.0, 1),
            (10.01, 2),
            (25.0, 3),
            (99.9, 10),
            (100.0, 10),
            (250.0, 10),
            (-5.0, 1),
            (f64::NAN, 1),
        ] {
            assert_eq!(pillar_priority(pct), want, "{pct}");
        }
    }
}
