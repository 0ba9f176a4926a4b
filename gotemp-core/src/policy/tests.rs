use super::*;

const ACTIONS: [Action; 6] = [
    Action::Read,
    Action::Create,
    Action::Update,
    Action::Delete,
    Action::Manage,
    Action::Approve,
];
const RESOURCES: [Resource; 6] = [
    Resource::Users,
    Resource::Customers,
    Resource::Products,
    Resource::Promotions,
    Resource::Audit,
    Resource::Tenants,
];

fn allows(
    role: Option<Role>,
    action: Action,
    resource: Resource,
    object: Option<Object<'_>>,
) -> bool {
    let roles = role.map_or(Roles::NONE, |r| Roles::of(&[r]));
    let actor = Actor::new(crate::values::TenantId::default_tenant(), 7, roles);
    RolePolicy.allows(&Request {
        actor: &actor,
        action,
        resource,
        object,
    })
}

/// The permissions each role has on no particular object, written out as the README's table
/// states them: the policy must grant exactly these and nothing else.
fn granted(role: Option<Role>) -> Vec<String> {
    let master = ["customers", "products", "promotions"];
    let mut all = Vec::new();
    for r in master {
        match role {
            Some(Role::Admin | Role::Editor) => {
                for a in ["read", "create", "update", "delete"] {
                    all.push(format!("{r}:{a}"));
                }
            }
            Some(Role::Viewer | Role::Auditor) => all.push(format!("{r}:read")),
            Some(Role::Approver | Role::Operator) | None => {}
        }
    }
    match role {
        Some(Role::Admin) => {
            for a in ["read", "create", "update", "delete", "manage", "approve"] {
                all.push(format!("users:{a}"));
                all.push(format!("audit:{a}"));
            }
            for r in master {
                all.push(format!("{r}:manage"));
                all.push(format!("{r}:approve"));
            }
        }
        Some(Role::Approver) => {
            all.push("promotions:read".into());
            all.push("promotions:approve".into());
        }
        Some(Role::Auditor) => {
            all.push("users:read".into());
            all.push("audit:read".into());
        }
        _ => {}
    }
    all.sort();
    all
}

#[test]
fn every_role_has_exactly_its_table_row() {
    for role in [None].into_iter().chain(Role::ALL.map(Some)) {
        let mut actual = Vec::new();
        for resource in RESOURCES {
            for action in ACTIONS {
                if allows(role, action, resource, None) {
                    actual.push(format!("{}:{}", resource.as_str(), action.as_str()));
                }
            }
        }
        actual.sort();
        assert_eq!(actual, granted(role), "role {role:?}");
    }
}

/// Tenants are the platform's: an operator of the platform tenant manages them, nobody else —
/// not a tenant's administrator, not an "operator" of another tenant.
#[test]
fn only_the_platform_s_operators_manage_tenants() {
    let platform = crate::values::TenantId::platform();
    let ducks = crate::values::TenantId::parse("t", "ducks").unwrap();
    let cases = [
        (platform.clone(), Roles::of(&[Role::Operator]), true),
        (platform.clone(), Roles::of(&[Role::Admin]), false),
        (
            ducks.clone(),
            Roles::of(&[Role::Operator, Role::Admin]),
            false,
        ),
        (ducks, Roles::of(&[Role::Admin]), false),
    ];
    for (tenant, roles, expected) in cases {
        let actor = Actor::new(tenant.clone(), 7, roles);
        for action in ACTIONS {
            let request = Request {
                actor: &actor,
                action,
                resource: Resource::Tenants,
                object: None,
            };
            assert_eq!(
                RolePolicy.allows(&request),
                expected,
                "{tenant} {roles:?} {action:?}"
            );
        }
    }
    // The operator role by itself gives nothing else.
    let operator = Actor::new(platform, 7, Roles::of(&[Role::Operator]));
    let read_customers = Request {
        actor: &operator,
        action: Action::Read,
        resource: Resource::Customers,
        object: None,
    };
    assert!(!RolePolicy.allows(&read_customers));
}

#[test]
fn every_user_reads_and_changes_itself_but_manages_nobody() {
    for role in [None].into_iter().chain(Role::ALL.map(Some)) {
        let me = Some(Object::UserId(7));
        let other = Some(Object::UserId(8));
        assert!(allows(role, Action::Read, Resource::Users, me), "{role:?}");
        assert!(
            allows(role, Action::Update, Resource::Users, me),
            "{role:?}"
        );
        let admin = role == Some(Role::Admin);
        assert_eq!(allows(role, Action::Manage, Resource::Users, me), admin);
        assert_eq!(allows(role, Action::Update, Resource::Users, other), admin);
        let reads_all = admin || role == Some(Role::Auditor);
        assert_eq!(
            allows(role, Action::Read, Resource::Users, other),
            reads_all
        );
    }
}

#[test]
fn the_system_actor_may_do_everything() {
    let system = Actor::system(crate::values::TenantId::default_tenant());
    for resource in RESOURCES {
        for action in ACTIONS {
            let request = Request {
                actor: &system,
                action,
                resource,
                object: None,
            };
            assert!(RolePolicy.allows(&request));
        }
    }
}

#[test]
fn a_denial_names_the_permission() {
    let viewer = Actor::new(
        crate::values::TenantId::default_tenant(),
        7,
        Roles::of(&[Role::Viewer]),
    );
    let e = authorize(
        &RolePolicy,
        &viewer,
        Action::Create,
        Resource::Customers,
        None,
    )
    .unwrap_err();
    assert!(matches!(&e, Error::PermissionDenied(m) if m.contains("customers:create")));
}

#[test]
fn roles_read_and_write_as_names_and_refuse_unknown_ones() {
    let roles: Roles = serde_json::from_str(r#"["auditor","editor"]"#).unwrap();
    assert_eq!(roles, Roles::of(&[Role::Editor, Role::Auditor]));
    assert_eq!(
        serde_json::to_string(&roles).unwrap(),
        r#"["editor","auditor"]"#
    );
    let e = serde_json::from_str::<Roles>(r#"["root"]"#).unwrap_err();
    assert!(
        e.to_string().contains(r#"roles: "root" is not a role"#),
        "{e}"
    );
    assert_eq!(Roles::default_for_new_user(), Roles::of(&[Role::Viewer]));
}
