//! One comparison, typed by the attribute's kind.

use super::*;

impl Translator {
    /// A comparison (or `pr` when `cmp` is None), never NULL.
    pub(super) fn compare(
        &mut self,
        expr: &str,
        kind: Kind,
        cmp: Option<(CompareOp, &CompValue)>,
    ) -> Result<String, ScimError> {
        let Some((op, value)) = cmp else {
            return Ok(match kind {
                Kind::Text { .. } => format!("({expr} <> '')"),
                _ => format!("({expr} IS NOT NULL)"),
            });
        };
        if op == CompareOp::Ne {
            let eq = self.compare(expr, kind, Some((CompareOp::Eq, value)))?;
            return Ok(format!("(NOT COALESCE({eq}, FALSE))"));
        }
        if matches!(value, CompValue::Null) {
            // `eq null` means "not present" (RFC 7644 §3.4.2.2).
            return match op {
                CompareOp::Eq => Ok(format!("({expr} IS NULL)")),
                _ => Err(ScimError::invalid_filter(
                    "null can only be compared with eq or ne",
                )),
            };
        }
        let sql = match kind {
            Kind::Text { folded, prefolded } => {
                let CompValue::Str(s) = value else {
                    return Ok(FALSE.to_string());
                };
                let (lhs, v) = if folded {
                    let lhs = if prefolded {
                        expr.to_string()
                    } else {
                        format!("lower({expr})")
                    };
                    (lhs, fold_case(s))
                } else {
                    (expr.to_string(), s.clone())
                };
                self.text_op(&lhs, op, v)
            }
            Kind::Bool => {
                let CompValue::Bool(b) = value else {
                    return Ok(FALSE.to_string());
                };
                if op != CompareOp::Eq {
                    return Err(ScimError::invalid_filter(
                        "booleans can only be compared with eq or ne",
                    ));
                }
                let p = self.bind(SqlValue::Bool(*b));
                format!("{expr} = {p}")
            }
            Kind::Number => {
                let CompValue::Number(n) = value else {
                    return Ok(FALSE.to_string());
                };
                let v = match n.as_i64() {
                    Some(i) => SqlValue::Float(i as f64),
                    None => SqlValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                };
                let p = self.bind(v);
                format!("{expr} {} {p}", ordering_sql(op)?)
            }
            Kind::Time => {
                let CompValue::Str(s) = value else {
                    return Ok(FALSE.to_string());
                };
                let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
                    ScimError::invalid_filter(format!("\"{s}\" is not an RFC 3339 date-time"))
                })?;
                let p = self.bind(SqlValue::Time(t.into()));
                format!("{expr} {} {p}", ordering_sql(op)?)
            }
            Kind::Uuid => {
                if op != CompareOp::Eq {
                    return Err(ScimError::invalid_filter(
                        "ids can only be compared with eq or ne",
                    ));
                }
                let CompValue::Str(s) = value else {
                    return Ok(FALSE.to_string());
                };
                match uuid::Uuid::parse_str(s) {
                    Ok(u) => {
                        let p = self.bind(SqlValue::Uuid(u));
                        format!("{expr} = {p}")
                    }
                    // Not an id we could have issued: matches nothing.
                    Err(_) => return Ok(FALSE.to_string()),
                }
            }
        };
        // Bare comparisons (NULL when the attribute is absent, which WHERE treats as
        // false) keep indexed columns usable; `not`/`ne` add the COALESCE they need.
        Ok(format!("({sql})"))
    }

    pub(super) fn text_op(&mut self, lhs: &str, op: CompareOp, v: String) -> String {
        let empty = v.is_empty();
        match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew if empty => {
                format!("({lhs} IS NOT NULL)")
            }
            CompareOp::Co => {
                let p = self.bind(SqlValue::Text(v));
                self.backend.contains(lhs, &p)
            }
            CompareOp::Sw => {
                // A range keeps the prefix search on the index (sw on userName).
                let upper = prefix_upper_bound(&v);
                let p = self.bind(SqlValue::Text(v));
                match upper {
                    Some(u) => {
                        let q = self.bind(SqlValue::Text(u));
                        format!("({lhs} >= {p} AND {lhs} < {q})")
                    }
                    None => format!("{lhs} >= {p}"),
                }
            }
            CompareOp::Ew => {
                let p = self.bind(SqlValue::Text(v));
                self.backend.ends_with(lhs, &p)
            }
            _ => {
                let p = self.bind(SqlValue::Text(v));
                let sym = ordering_sql(op).unwrap_or("=");
                format!("{lhs} {sym} {p}")
            }
        }
    }
}
