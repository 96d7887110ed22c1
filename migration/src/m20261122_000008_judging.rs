//! Judging: criteria of a category, judges assigned to categories, scores,
//! certifications and each event's judging state (locked, published).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Criteria::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Criteria::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Criteria::CategoryId).uuid().not_null())
                    .col(ColumnDef::new(Criteria::Position).integer().not_null())
                    .col(ColumnDef::new(Criteria::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Criteria::Weight).double().not_null())
                    .col(ColumnDef::new(Criteria::MinValue).double().not_null())
                    .col(ColumnDef::new(Criteria::MaxValue).double().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Criteria::Table, Criteria::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_criteria_category_name")
                    .table(Criteria::Table)
                    .col(Criteria::CategoryId)
                    .col(Criteria::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CategoryJudges::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(CategoryJudges::CategoryId).uuid().not_null())
                    .col(ColumnDef::new(CategoryJudges::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(CategoryJudges::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CategoryJudges::CategoryId)
                            .col(CategoryJudges::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CategoryJudges::Table, CategoryJudges::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CategoryJudges::Table, CategoryJudges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Scores::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Scores::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Scores::EventId).uuid().not_null())
                    .col(ColumnDef::new(Scores::CategoryId).uuid().not_null())
                    .col(ColumnDef::new(Scores::TeamId).uuid().not_null())
                    .col(ColumnDef::new(Scores::JudgeId).uuid().not_null())
                    .col(ColumnDef::new(Scores::Marks).json().not_null())
                    .col(ColumnDef::new(Scores::Total).double().not_null())
                    .col(ColumnDef::new(Scores::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Scores::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scores::Table, Scores::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scores::Table, Scores::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scores::Table, Scores::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scores::Table, Scores::JudgeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scores_category_team_judge")
                    .table(Scores::Table)
                    .col(Scores::CategoryId)
                    .col(Scores::TeamId)
                    .col(Scores::JudgeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scores_event")
                    .table(Scores::Table)
                    .col(Scores::EventId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Certifications::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Certifications::CategoryId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Certifications::EventId).uuid().not_null())
                    .col(ColumnDef::new(Certifications::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Certifications::CertifiedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(Certifications::CertifiedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certifications::Table, Certifications::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JudgingStates::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(JudgingStates::EventId).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(JudgingStates::LockedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(JudgingStates::LockedBy).uuid().null())
                    .col(
                        ColumnDef::new(JudgingStates::ResultsPublishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(JudgingStates::ResultsPublishedBy).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(JudgingStates::Table, JudgingStates::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JudgingStates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Certifications::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Scores::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CategoryJudges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Criteria::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Criteria {
    Table,
    Id,
    CategoryId,
    Position,
    Name,
    Weight,
    MinValue,
    MaxValue,
}

#[derive(DeriveIden)]
enum CategoryJudges {
    Table,
    CategoryId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Scores {
    Table,
    Id,
    EventId,
    CategoryId,
    TeamId,
    JudgeId,
    Marks,
    Total,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Certifications {
    Table,
    CategoryId,
    EventId,
    Status,
    CertifiedBy,
    CertifiedAt,
}

#[derive(DeriveIden)]
enum JudgingStates {
    Table,
    EventId,
    LockedAt,
    LockedBy,
    ResultsPublishedAt,
    ResultsPublishedBy,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
