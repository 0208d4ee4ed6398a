//! `mindmarket scenarios`: the built-in scenarios of MODEL.md §9 (scenarios/builtin/), each with
//! the one-line question it answers. The files are compiled into the binary, so `--show NAME`
//! prints one anywhere (redirect it to a file to run it outside the repository).

use anyhow::{Result, bail};

/// `mindmarket scenarios`.
#[derive(clap::Args, Debug)]
pub struct ScenariosArgs {
    /// Print the TOML file of this built-in scenario instead of the list.
    #[arg(long, value_name = "NAME")]
    pub show: Option<String>,
}

/// A built-in scenario: its name and its file's text.
pub struct Builtin {
    /// Name (the file stem).
    pub name: &'static str,
    /// The TOML text.
    pub text: &'static str,
}

/// The built-in scenarios, in MODEL.md §9's order.
pub const BUILTIN: [Builtin; 6] = [
    Builtin {
        name: "demand_first_vs_supply_first",
        text: include_str!("../../scenarios/builtin/demand_first_vs_supply_first.toml"),
    },
    Builtin {
        name: "incumbent_lock_in",
        text: include_str!("../../scenarios/builtin/incumbent_lock_in.toml"),
    },
    Builtin {
        name: "studio_buy_pressure",
        text: include_str!("../../scenarios/builtin/studio_buy_pressure.toml"),
    },
    Builtin {
        name: "developer_bounty_program",
        text: include_str!("../../scenarios/builtin/developer_bounty_program.toml"),
    },
    Builtin {
        name: "pricing_rule_shootout",
        text: include_str!("../../scenarios/builtin/pricing_rule_shootout.toml"),
    },
    Builtin {
        name: "token_design",
        text: include_str!("../../scenarios/builtin/token_design.toml"),
    },
];

/// The question of a scenario file: the `# QUESTION:` comment paragraph, joined on one line.
pub fn question(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let Some(c) = line.strip_prefix('#') else {
            if inside {
                break;
            }
            continue;
        };
        let c = c.trim();
        if let Some(q) = c.strip_prefix("QUESTION:") {
            inside = true;
            out.push(q.trim());
        } else if inside {
            if c.is_empty() {
                break;
            }
            out.push(c);
        }
    }
    let q = out.join(" ");
    let mut c = q.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => q,
    }
}

/// Runs the command.
pub fn run(a: ScenariosArgs) -> Result<()> {
    if let Some(name) = &a.show {
        match BUILTIN.iter().find(|b| b.name == name) {
            Some(b) => print!("{}", b.text),
            None => bail!(
                "no built-in scenario `{name}` (one of: {})",
                BUILTIN
                    .iter()
                    .map(|b| b.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
        return Ok(());
    }
    println!(
        "Built-in scenarios (scenarios/builtin/<name>.toml; docs/SCENARIOS.md, \"Built-in scenarios\"):\n"
    );
    for b in &BUILTIN {
        println!("{}\n    {}", b.name, question(b.text));
    }
    println!(
        "\nRun one:   mindmarket run scenarios/builtin/<name>.toml\n\
         Sweep it:  mindmarket sweep scenarios/builtin/<name>.toml   (its arms, common random numbers)\n\
         Print it:  mindmarket scenarios --show <name>"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_states_its_question() {
        for b in &BUILTIN {
            let q = question(b.text);
            assert!(q.ends_with('?') && q.len() > 40, "{}: {q}", b.name);
            assert!(
                b.text.contains(&format!("name = \"{}\"", b.name)),
                "{}",
                b.name
            );
        }
    }
}
